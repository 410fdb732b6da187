/**
 * The chat screen's state, put together from small hooks: the transcript, the reply stream, notes held while it
 * prints (asides), the one job at a time and the prompt queue. Messages go to the session (ChatSession) as turns;
 * slash commands come from the table in ./commands and run against the session. Nothing here writes files or touches the model directly.
 */
import {useCallback, useEffect, useMemo, useRef, useState} from "react";
import {errorMessage} from "../errors.js";
import type {ChatSession, Outcome} from "../session/chatSession.js";
import type {CommandContext, LiveStream} from "./commands/command.js";
import {COMMANDS} from "./commands/index.js";
import {isSlashCommand, messageText, parseSlashCommand, specOf} from "./slashCommands.js";
import type {ChatOptions, ChatState} from "./chatState.js";
import {useAsides} from "./useAsides.js";
import {useBackgroundReeval} from "./useBackgroundReeval.js";
import {useJob} from "./useJob.js";
import {useReplies} from "./useReplies.js";
import {usePromptQueue} from "./usePromptQueue.js";
import {useReplyStream} from "./useReplyStream.js";
import {useTranscript} from "./useTranscript.js";

export {LIVE_TAIL_LINES, STREAM_FLUSH_MS} from "./useReplyStream.js";

export type {ChatOptions, ChatState} from "./chatState.js";

/** how often the context gauge is read again while the chat is busy */
export const USAGE_REFRESH_MS = 250;

export function useChat(session: ChatSession, {onExit, columns = () => 100, backgroundReevalMs}: ChatOptions): ChatState {
    const plainTranscript = useTranscript();
    const draft = useCallback(() => session.transcript.draft, [session]);
    const stream = useReplyStream(plainTranscript.add, draft, {markdown: session.conversation.mode === "chat"});
    const {transcript, asides, flush: flushAsides} = useAsides(plainTranscript, stream.isCommitting);
    const replies = useReplies(session, transcript);
    const {addReply} = replies;
    const [contextUsage, setContextUsage] = useState(() => session.contextUsage());
    /** the generation streaming now (how it was split into lines; its text is the session's) */
    const live = useRef<LiveStream | undefined>(undefined);
    const {note} = transcript;

    const onJobError = useCallback((err: unknown) => {
        // what the session recorded of a reply that failed mid-way: its partial text, marked failed (a trial's
        // generation is no reply of the conversation's, so nothing of it)
        const stream = live.current;
        const shown = stream?.draft();
        const failed = shown && session.transcript.replyOf(shown);
        if (stream != null && failed?.outcome === "failed" && failed.text !== "") transcript.add({role: "assistant", reply: failed, ...stream.shown()});
        note(errorMessage(err), "error");
    }, [session, transcript, note]);
    const onJobEnd = useCallback(() => {
        live.current = undefined;
        stream.end();
        flushAsides();
        setContextUsage(session.contextUsage());
    }, [stream, session, flushAsides]);
    const job = useJob({onError: onJobError, onEnd: onJobEnd});

    const context = useMemo((): CommandContext => ({
        session, note, addReply, columns, exit: onExit,
        record: (text, trial) => {
            session.recordTrial(trial, text);
            note(text);
        },
        show: (outcomes) => ([] as Outcome[]).concat(outcomes).forEach((o) => note(o.lines.join("\n"), o.error ? "error" : "note")),
        runJob: job.run,
        liveStream: (signal, options) => (live.current = stream.open(signal, options)),
        progress: stream.progress,
        clearLastReply: replies.clearLastReply,
        refreshUsage: () => setContextUsage(session.contextUsage()),
        lastReadout: replies.lastReadout,
        commands: () => COMMANDS as unknown as ReturnType<CommandContext["commands"]>
    }), [session, note, addReply, columns, onExit, job.run, stream, replies]);

    const command = useCallback((input: string) => {
        const parsed = parseSlashCommand(input);
        if (parsed.kind === "unknown") return note(`Unknown command ${parsed.name} — /help lists the commands`, "error");
        if (parsed.kind === "invalid") return note(parsed.message, "error");
        const spec = specOf(parsed)!;
        // while a job runs, only commands that stage or show something may run: a second job would take over Esc
        if (job.isBusy() && !spec.safeWhileBusy)
            return note(`Busy: ${input.split(" ")[0]} waits until the current reply or training ends (Esc stops it)`, "error");
        const {kind: _kind, ...args} = parsed;
        try {
            void Promise.resolve(spec.run(args, context)).catch((err) => note(errorMessage(err), "error"));
        } catch (err) {
            note(errorMessage(err), "error");
        }
    }, [context, job, note]);

    const send = useCallback((input: string) => {
        if (isSlashCommand(input)) return command(input);
        const text = messageText(input);
        transcript.add({role: "user", text});
        void job.run("replying", "writing", async (signal) => {
            const turnStream = context.liveStream(signal, {commitLines: true});
            addReply(await session.send(text, turnStream), turnStream.shown());
        });
    }, [command, transcript, job, context, addReply, session]);

    const busy = job.job.kind !== "idle";
    // while a reply (or a trial) is written the cache grows: the gauge follows it rather than showing the last turn's
    useEffect(() => {
        if (!busy) return;
        const timer = setInterval(() => setContextUsage((shown) => {
            const now = session.contextUsage();
            return now.used === shown.used && now.staleTokens === shown.staleTokens && now.unevaluated === shown.unevaluated ? shown : now;
        }), USAGE_REFRESH_MS);
        return () => clearInterval(timer);
    }, [busy, session]);
    useBackgroundReeval(session, backgroundReevalMs, job.isBusy, () => setContextUsage(session.contextUsage()));
    const {queued, submit} = usePromptQueue(busy, job.isBusy, send);
    return {messages: transcript.messages, asides, streamingText: stream.streamingText, streamingMarkdown: stream.streamingMarkdown, busy, busyLabel: job.job.kind !== "idle" ? job.job.label : "writing",
        queued, trialRunning: job.job.kind === "trial", lastReply: replies.lastReply, lastReadout: replies.lastReadoutState, lastGauge: replies.lastGauge, contextUsage, submit, command, note, stop: job.stop};
}
