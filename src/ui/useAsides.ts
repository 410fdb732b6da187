/**
 * Notes said while a reply's lines are being printed ("Busy: …", a staged change) would land among those lines: they
 * are held under the reply being written instead (the asides, at most ASIDE_LINES lines of them on screen, so the live
 * area stays short), and go to the transcript whole once the reply ends.
 */
import {useCallback, useMemo, useRef, useState} from "react";
import type {Aside} from "./chatState.js";
import type {Transcript} from "./useTranscript.js";

/** lines of held notes shown under a reply being written (a held /help is ~45 lines: it is shown whole after) */
export const ASIDE_LINES = 3;

/** what is shown of the held notes: their last ASIDE_LINES lines, after a line saying how many more wait */
export function visibleAsides(asides: readonly Aside[], max = ASIDE_LINES): Aside[] {
    const lines = asides.flatMap(({text, role}) => text.split("\n").map((line) => ({text: line, role})));
    if (lines.length <= max) return lines;
    const more = lines.length - (max - 1);
    return [{text: `… ${more} more line${more === 1 ? "" : "s"} of notes, shown after the reply`, role: "note"}, ...lines.slice(-(max - 1))];
}

export function useAsides(plain: Transcript, isCommitting: () => boolean) {
    const [asides, setAsides] = useState<Aside[]>([]);
    const pending = useRef<Aside[]>([]);
    const {note: plainNote} = plain;
    // stable (plain.note is), so what depends on note is not rebuilt on every render
    const note = useCallback<Transcript["note"]>((text, role = "note") => {
        if (!isCommitting()) return plainNote(text, role);
        pending.current = [...pending.current, {text, role}];
        setAsides(pending.current);
    }, [plainNote, isCommitting]);
    const transcript = useMemo((): Transcript => ({...plain, note}), [plain, note]);
    /** the reply has ended: its asides move to the transcript, after it */
    const flush = useCallback(() => {
        for (const {text, role} of pending.current) plainNote(text, role);
        pending.current = [];
        setAsides([]);
    }, [plainNote]);
    return {transcript, asides: useMemo(() => visibleAsides(asides), [asides]), flush};
}
