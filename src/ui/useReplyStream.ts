/**
 * The reply being written, as the screen shows it. Streamed text is batched (flushed on a short timer) so a fast
 * model does not re-render the screen per token; with `commitLines`, a reply's finished lines move into the
 * transcript (Ink's <Static>) as they come (see streamLines.ts), and only the last lines stay live.
 */
import {useCallback, useEffect, useMemo, useRef, useState} from "react";
import type {LiveStream} from "./commands/command.js";
import {historyProgressText} from "./historyNotes.js";
import {fenceAfter} from "./markdown.js";
import {splitStream, tailLines} from "./streamLines.js";
import type {ChatMessage} from "../session/types.js";

export const STREAM_FLUSH_MS = 50;

/** lines of a reply that stays live (a /compare or /sweep candidate) shown while it is written */
export const LIVE_TAIL_LINES = 12;

/**
 * With `markdown` (chat mode), a reply's lines are drawn as Markdown: each part printed carries the code fence open
 * where it starts (see markdown.ts), and a table being written stays live until it ends.
 */
export function useReplyStream(addMessage: (message: Omit<ChatMessage, "id">) => void, {markdown = false} = {}) {
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
        let buffer = "";
        /** how much of the buffer has moved to the transcript as finished lines */
        let committed = 0;
        /** in Markdown, the code fence open where the uncommitted rest starts */
        let openFence: string | undefined;
        let prefill = "";
        setStreamingText("");
        committing.current = commitLines;
        const lines = commitLines && markdown;
        const flush = () => {
            if (buffer === "" && prefill !== "") return setStreamingText(prefill);
            if (!commitLines) return setStreamingText(tailLines(buffer, LIVE_TAIL_LINES));
            const split = splitStream(buffer, committed, lines ? {openFence} : undefined);
            if (split.finished != null) {
                addMessage({role: "stream", text: split.finished, ...(lines && openFence != null ? {openFence} : {})});
                if (lines) openFence = fenceAfter(split.finished, openFence);
            }
            committed = split.committed;
            setStreaming({text: split.live, ...(lines ? {markdown: {openFence}} : {})});
        };
        timer.current = setInterval(flush, STREAM_FLUSH_MS);
        return {
            signal,
            onText: (chunk) => { buffer += chunk; },
            onPrefill: (done, total) => { prefill = historyProgressText(done, total); },
            shown: () => (committed > 0 ? {shownText: buffer.slice(committed), ...(openFence != null ? {openFence} : {})} : {}),
            text: () => buffer
        };
    }, [addMessage, stopFlushing, setStreamingText, markdown]);

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
