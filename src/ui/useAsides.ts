/**
 * Notes said while a reply's lines are being printed ("Busy: …", a staged change) would land among those lines: they
 * are shown under the reply being written instead (the asides), and go to the transcript once the reply ends.
 */
import {useCallback, useMemo, useRef, useState} from "react";
import type {Aside} from "./chatState.js";
import type {Transcript} from "./useTranscript.js";

export function useAsides(plain: Transcript, isCommitting: () => boolean) {
    const [asides, setAsides] = useState<Aside[]>([]);
    const pending = useRef<Aside[]>([]);
    const transcript = useMemo((): Transcript => ({
        ...plain,
        note: (text, role = "note") => {
            if (!isCommitting()) return plain.note(text, role);
            pending.current = [...pending.current, {text, role}];
            setAsides(pending.current);
        }
    }), [plain, isCommitting]);
    /** the reply has ended: its asides move to the transcript, after it */
    const flush = useCallback(() => {
        for (const {text, role} of pending.current) plain.note(text, role);
        pending.current = [];
        setAsides([]);
    }, [plain]);
    return {transcript, asides, flush};
}
