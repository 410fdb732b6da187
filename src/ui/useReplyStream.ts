/**
 * The reply being written, as the screen shows it. The text is the session's (its transcript's draft, which every
 * generation streams into); this keeps only how it is split into lines. It is read on a short timer, so a fast model
 * does not re-render the screen per token; with `commitLines`, a reply's finished lines move into the transcript
 * (Ink's <Static>) as they come (see streamLines.ts), and only the last lines stay live.
 */
import {useCallback, useEffect, useMemo, useRef, useState} from "react";
import type {LiveStream} from "./commands/command.js";
import {historyProgressText} from "./historyNotes.js";
import {fenceAfter} from "./markdown.js";
import {splitStream, tailLines} from "./streamLines.js";
import type {Draft} from "../session/turnLog.js";
import type {NewMessage} from "./chatMessage.js";

export const STREAM_FLUSH_MS = 50;

/** lines of a reply that stays live (a /compare or /sweep candidate) shown while it is written */
export const LIVE_TAIL_LINES = 12;

/**
 * `draft` reads the session's generation being written. With `markdown` (chat mode), a reply's lines are drawn as
 * Markdown: each part printed carries the code fence open where it starts (see markdown.ts), and a table being
 * written stays live until it ends.
 */
export function useReplyStream(addMessage: (message: NewMessage) => void, draft: () => Draft | undefined, {markdown = false} = {}) {
    const [streaming, setStreaming] = useState<{text: string, markdown?: {openFence?: string}}>({text: ""});
    const timer = useRef<NodeJS.Timeout | undefined>(undefined);
    /** a reply's lines are going to the transcript as they come (anything else added now would land among them) */
    const committing = useRef(false);
    const stopFlushing = useCallback(() => {
        if (timer.current) clearInterval(timer.current);
        timer.current = undefined;
        committing.current = false;
    }, []);
    useEffect(() => stopFlushing, [stopFlushing]);
    const setStreamingText = useCallback((text: string) => setStreaming({text}), []);

    const open = useCallback((signal: AbortSignal, {commitLines = false} = {}): LiveStream => {
        stopFlushing();
        // the session starts this generation's draft right after the stream is opened: until then, the last one is no text of it
        const before = draft();
        const current = () => {
            const now = draft();
            return now !== before ? now : undefined;
        };
        /** how much of the draft has moved to the transcript as finished lines */
        let committed = 0;
        /** in Markdown, the code fence open where the uncommitted rest starts */
        let openFence: string | undefined;
        let prefill = "";
        setStreamingText("");
        committing.current = commitLines;
        const lines = commitLines && markdown;
        const flush = () => {
            const shown = current();
            const buffer = shown?.text ?? "";
            if (buffer === "" && prefill !== "") return setStreamingText(prefill);
            if (!commitLines || shown == null) return setStreamingText(tailLines(buffer, LIVE_TAIL_LINES));
            const split = splitStream(buffer, committed, lines ? {openFence} : undefined);
            if (split.finished != null) {
                addMessage({role: "stream", draft: shown, start: committed, end: committed + split.finished.length,
                    ...(lines && openFence != null ? {openFence} : {})});
                if (lines) openFence = fenceAfter(split.finished, openFence);
            }
            committed = split.committed;
            setStreaming({text: split.live, ...(lines ? {markdown: {openFence}} : {})});
        };
        timer.current = setInterval(flush, STREAM_FLUSH_MS);
        return {
            signal,
            onPrefill: (done, total) => { prefill = historyProgressText(done, total); },
            shown: () => (committed > 0 ? {shownFrom: committed, ...(openFence != null ? {openFence} : {})} : {}),
            draft: current
        };
    }, [addMessage, draft, stopFlushing, setStreamingText, markdown]);

    const actions = useMemo(() => ({
        open,
        /** the job ended: nothing streams */
        end: () => {
            stopFlushing();
            setStreamingText("");
        },
        /** a line of progress in the reply's place */
        progress: setStreamingText,
        /** a reply's finished lines are being printed as they come */
        isCommitting: () => committing.current
    }), [open, stopFlushing, setStreamingText]);
    return {streamingText: streaming.text, streamingMarkdown: streaming.markdown, ...actions};
}
