/**
 * The reply being written, as the screen shows it. Streamed text is batched (flushed on a short timer) so a fast
 * model does not re-render the screen per token; with `commitLines`, a reply's finished lines move into the
 * transcript (Ink's <Static>) as they come (see streamLines.ts), and only the last lines stay live.
 */
import {useCallback, useEffect, useMemo, useRef, useState} from "react";
import type {LiveStream} from "./commands/command.js";
import {historyProgressText} from "./historyNotes.js";
import {splitStream, tailLines} from "./streamLines.js";
import type {ChatMessage} from "../session/types.js";

export const STREAM_FLUSH_MS = 50;

/** lines of a reply that stays live (a /compare or /sweep candidate) shown while it is written */
export const LIVE_TAIL_LINES = 12;

export function useReplyStream(addMessage: (message: Omit<ChatMessage, "id">) => void) {
    const [streamingText, setStreamingText] = useState("");
    const timer = useRef<NodeJS.Timeout | undefined>(undefined);
    const stopFlushing = useCallback(() => {
        if (timer.current) clearInterval(timer.current);
        timer.current = undefined;
    }, []);
    useEffect(() => stopFlushing, [stopFlushing]);

    const open = useCallback((signal: AbortSignal, {commitLines = false} = {}): LiveStream => {
        stopFlushing();
        let buffer = "";
        /** how much of the buffer has moved to the transcript as finished lines */
        let committed = 0;
        let prefill = "";
        setStreamingText("");
        const flush = () => {
            if (buffer === "" && prefill !== "") return setStreamingText(prefill);
            if (!commitLines) return setStreamingText(tailLines(buffer, LIVE_TAIL_LINES));
            const split = splitStream(buffer, committed);
            if (split.finished != null) addMessage({role: "stream", text: split.finished});
            committed = split.committed;
            setStreamingText(split.live);
        };
        timer.current = setInterval(flush, STREAM_FLUSH_MS);
        return {
            signal,
            onText: (chunk) => { buffer += chunk; },
            onPrefill: (done, total) => { prefill = historyProgressText(done, total); },
            shownText: () => (committed > 0 ? buffer.slice(committed) : undefined),
            text: () => buffer
        };
    }, [addMessage, stopFlushing]);

    const actions = useMemo(() => ({
        open,
        /** the job ended: nothing streams */
        end: () => {
            stopFlushing();
            setStreamingText("");
        },
        /** a line of progress in the reply's place */
        progress: setStreamingText
    }), [open, stopFlushing]);
    return {streamingText, ...actions};
}
