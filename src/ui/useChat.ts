/**
 * The chat's state and actions: messages, the reply being streamed, sending, stopping, and the slash commands
 * (steering, presets, /regen, /compare, /sweep, /save). Streamed text is batched (flushed on a short timer) so a
 * fast model does not re-render the screen per token, and a reply's finished lines move into Ink's <Static> as they
 * come (see streamLines.ts).
 */
import {lstatSync} from "node:fs";
import {useCallback, useEffect, useRef, useState} from "react";
import type {Token} from "node-llama-cpp";
import type {Conversation, Reply} from "../engine/conversation.js";
import {writeFileAtomic} from "../engine/atomicWrite.js";
import {errorMessage, UserFacingError} from "../errors.js";
import {checkWritableTarget} from "../engine/userFiles.js";
import {describeSampling, SAMPLING_SETTINGS, samplingSettingName} from "../engine/sampling.js";
import {applyPreset, describePreset, presetConversationSettings, presetFromSteering, presetSampling, presetSettingsKept,
    type ConversationSettings, type PinnedSetting} from "../presets/applyPreset.js";
import type {PresetStore} from "../presets/presetStore.js";
import type {SteeringController} from "../steering/steeringController.js";
import {describeEntry, type SteeringEntry, type SteeringState} from "../steering/steeringState.js";
import type {ReplyReadout} from "../steering/replyReadout.js";
import {readoutReport} from "./readoutView.js";
import {loadControlVector} from "../steering/loadControlVector.js";
import {describeQuality, qualityWarning} from "../steering/vectorQuality.js";
import {adoptTrainedVector, loadEntryOrRecipe, type RecipeTrainer} from "../training/recipeVectors.js";
import {isSlashCommand, KEY_HELP, messageText, parseSlashCommand, SLASH_COMMAND_HELP, type SlashCommand} from "./slashCommands.js";
import {describeSteering, sideBySide, sweepTable, sweepValues, transcriptJson, transcriptMarkdown, type SweepRow} from "./transcript.js";
import {progressBarText} from "./progressText.js";
import {historyNote, historyProgressText, reevaluateNote} from "./historyNotes.js";
import {splitStream, tailLines} from "./streamLines.js";
import type {ChatMessage, SteeringRecord} from "./types.js";

export const STREAM_FLUSH_MS = 50;
/** commands that only stage steering or show something, so they may run while a reply or a training is busy */
const COMMANDS_WHILE_BUSY: ReadonlySet<SlashCommand["kind"]> = new Set(["help", "vectorSet", "vectorEnable", "vectorRemove", "layers",
    "steerOff", "steering", "presetSave", "presetList", "set", "settings", "readout", "history", "unknown", "invalid"]);

/** lines of a reply that stays live (a /compare or /sweep candidate) shown while it is written */
export const LIVE_TAIL_LINES = 12;

export type ChatOptions = {
    onExit: () => void,
    steering?: SteeringController,
    presets?: PresetStore,
    modelName?: string,
    /** width for /compare and /sweep layouts */
    columns?: () => number,
    /** trains (or fetches from the cache) a recipe's vector for the loaded model */
    trainRecipe?: RecipeTrainer,
    /** reads a reply on the loaded vectors, off the main thread (the live read-out; see steering/replyReadout.ts) */
    readReply?: (tokens: readonly Token[], entries: readonly SteeringEntry[]) => Promise<ReplyReadout | undefined>,
    /** what a loaded preset falls back to for system prompt and sampling (default: the settings at the first load) */
    settingsBeforePresets?: ConversationSettings,
    /** settings given on the command line: a preset loaded later does not change them (/set adds to these) */
    pinnedSettings?: readonly PinnedSetting[]
};

export type ChatState = {
    messages: ChatMessage[],
    streamingText: string,
    busy: boolean,
    /** what the busy job is doing, for the line above the prompt ("writing", "training"…) */
    busyLabel: string,
    /** prompts sent while busy, sent in order once the job ends */
    queued: string[],
    /** /compare or /sweep is running (panel edits would be overwritten by their trials, so the panel is closed) */
    trialRunning: boolean,
    lastReply: Reply | undefined,
    /** what the loaded vectors read on the last reply, once read */
    lastReadout: ReplyReadout | undefined,
    /** staleTokens: cached tokens evaluated under older steering (history policy keep) */
    contextUsage: {used: number, size: number, staleTokens?: number},
    submit(input: string): void,
    /** runs a slash command given as text (the panel's keys and pickers use this too) */
    command(input: string): void,
    note(text: string, role?: "note" | "error"): void,
    stop(): void
};

export function recordSteering(state: SteeringState | undefined): SteeringRecord {
    return (state?.entries ?? []).map((e) => ({
        name: e.name, source: e.source, coefficient: e.coefficient, enabled: e.enabled,
        ...(e.layers ? {layers: [e.layers.start, e.layers.end] as [number, number]} : {})
    }));
}

const settingLabel = (key: PinnedSetting) => (key === "systemPrompt" ? "system prompt" : key === "history" ? "history policy" : samplingSettingName(key));

/**
 * /vector add and the picker: a new row, or, for a file that is loaded already, nothing changed (its value and on/off
 * are kept) and a note saying so. A file given twice with --vector or in a preset is two rows, summed as llama.cpp does.
 */
export function addOrKeepVector(steering: SteeringController, entry: SteeringEntry): string {
    const loaded = steering.state.loadedFrom(entry.source);
    if (loaded) return `${loaded.name} is loaded already (${describeEntry(loaded)}) and is kept as it is — /vector set ${loaded.name} C changes it`;
    const state = steering.update((s) => s.add(entry));
    return `Added ${state.entries.at(-1)!.name} — from the next turn: ${state.describe()}`;
}

export function useChat(conversation: Conversation, options: ChatOptions): ChatState {
    const {onExit, steering, presets} = options;
    const [messages, setMessages] = useState<ChatMessage[]>([]);
    const [streamingText, setStreamingText] = useState("");
    const [busy, setBusy] = useState(false);
    const [busyLabel, setBusyLabel] = useState("writing");
    const [queued, setQueued] = useState<string[]>([]);
    const queuedRef = useRef<string[]>([]);
    /** /compare or /sweep is running: they own the steering until they put it back */
    const [trialRunning, setTrialRunning] = useState(false);
    const [lastReply, setLastReply] = useState<Reply>();
    const [lastReadout, setLastReadout] = useState<ReplyReadout>();
    const lastReadoutRef = useRef<ReplyReadout | undefined>(undefined);
    const [contextUsage, setContextUsage] = useState(() => conversation.contextUsage());
    const nextId = useRef(0);
    const abortRef = useRef<AbortController | undefined>(undefined);
    const bufferRef = useRef("");
    /** how much of bufferRef has moved to <Static> as finished lines */
    const committedRef = useRef(0);
    const flushTimer = useRef<NodeJS.Timeout | undefined>(undefined);
    const messagesRef = useRef<ChatMessage[]>([]);
    const busyRef = useRef(false);
    /** the system prompt and sampling before the first /preset load, which later presets build on */
    const beforePresets = useRef<ConversationSettings | undefined>(options.settingsBeforePresets);
    /** settings the user chose (flags, /set): presets leave them as they are */
    const pinned = useRef(new Set<PinnedSetting>(options.pinnedSettings));

    const addMessage = useCallback((message: Omit<ChatMessage, "id">) => {
        const full = {...message, id: nextId.current++};
        messagesRef.current = [...messagesRef.current, full];
        setMessages(messagesRef.current);
    }, []);
    const note = useCallback((text: string, role: "note" | "error" = "note") => addMessage({role, text}), [addMessage]);
    /** /regen and /compare answer the last prompt again: the reply they replace stays on screen and in /save, marked */
    const markLastReplyReplaced = useCallback(() => {
        const index = messagesRef.current.map((m) => m.role).lastIndexOf("assistant");
        if (index < 0) return;
        messagesRef.current = messagesRef.current.map((m, i) => (i === index ? {...m, replaced: true} : m));
        setMessages(messagesRef.current);
    }, []);

    const stopFlushing = () => {
        if (flushTimer.current) clearInterval(flushTimer.current);
        flushTimer.current = undefined;
    };
    useEffect(() => () => {
        stopFlushing();
        abortRef.current?.abort();
    }, []);

    /**
     * One reply, streamed to the screen; it is not added to the messages (callers decide how to show it). With
     * `commitLines`, finished lines go to the transcript on screen as they come, and `shownText` is the rest, for
     * the reply's message to show.
     */
    const generate = useCallback(async (text: string, {commitLines = false} = {}): Promise<{reply: Reply, shownText?: string}> => {
        const controller = new AbortController();
        abortRef.current = controller;
        bufferRef.current = "";
        committedRef.current = 0;
        setStreamingText("");
        let prefill = "";
        const flush = () => {
            if (bufferRef.current === "" && prefill !== "") return setStreamingText(prefill);
            if (!commitLines) return setStreamingText(tailLines(bufferRef.current, LIVE_TAIL_LINES));
            const {finished, committed, live} = splitStream(bufferRef.current, committedRef.current);
            if (finished != null) addMessage({role: "stream", text: finished});
            committedRef.current = committed;
            setStreamingText(live);
        };
        flushTimer.current = setInterval(flush, STREAM_FLUSH_MS);
        const shownText = () => (committedRef.current > 0 ? bufferRef.current.slice(committedRef.current) : undefined);
        try {
            const reply = await conversation.send(text, {signal: controller.signal, onText: (chunk) => { bufferRef.current += chunk; },
                onPrefill: (done, total) => { prefill = historyProgressText(done, total); }});
            return {reply, shownText: shownText()};
        } catch (err) {
            if (bufferRef.current !== "") addMessage({role: "assistant", text: bufferRef.current, shownText: shownText()});
            throw err;
        } finally {
            stopFlushing();
            if (abortRef.current === controller) abortRef.current = undefined;
            setStreamingText("");
            setContextUsage(conversation.contextUsage());
        }
    }, [conversation, addMessage]);

    const addReply = useCallback(({reply, shownText}: {reply: Reply, shownText?: string}) => {
        const {text, tokens: _tokens, ...stats} = reply;
        const id = nextId.current;
        addMessage({role: "assistant", text, shownText, reply: stats, steering: recordSteering(steering?.appliedState)});
        setLastReply(reply);
        // the read-out runs after the reply is shown; the transcript records it on the reply's message
        if (options.readReply && steering) void options.readReply(reply.tokens, steering.appliedState.entries).then((readout) => {
            if (readout == null) return;
            lastReadoutRef.current = readout;
            setLastReadout(readout);
            const reads = Object.fromEntries(readout.vectors.map((v) => [v.name, v.z]));
            messagesRef.current = messagesRef.current.map((m) => (m.id === id ? {...m, readout: reads} : m));
            setMessages(messagesRef.current);
        }, (err) => note(`Read-out failed: ${errorMessage(err)}`, "error"));
    }, [addMessage, steering, note, options.readReply]);

    /** Runs work with the busy flag set, reporting errors as a message. */
    const runBusy = useCallback(async (work: () => Promise<void>, label = "writing") => {
        busyRef.current = true;
        setBusy(true);
        setBusyLabel(label);
        try {
            await work();
        } catch (err) {
            note(errorMessage(err), "error");
        } finally {
            busyRef.current = false;
            setBusy(false);
        }
    }, [note]);

    /** runBusy for /compare and /sweep, which set the steering per trial */
    const runTrial = (work: () => Promise<void>) => runBusy(async () => {
        setTrialRunning(true);
        try {
            await work();
        } finally {
            setTrialRunning(false);
        }
    });

    const requireSteering = () => {
        if (steering == null) throw new Error("Steering is unavailable in this session (see the message at the top)");
        return steering;
    };
    const requireLastPrompt = () => {
        const text = conversation.lastUserText();
        if (text == null) throw new Error("Nothing to answer again yet: send a prompt first");
        return text;
    };
    const columns = () => options.columns?.() ?? 100;
    /** a signal that Esc / Ctrl+C (stop) aborts, for work other than a reply; cleared when the work ends */
    const stoppable = async <T,>(work: (signal: AbortSignal) => Promise<T>): Promise<T> => {
        const controller = new AbortController();
        abortRef.current = controller;
        try {
            return await work(controller.signal);
        } finally {
            if (abortRef.current === controller) abortRef.current = undefined;
            setStreamingText("");
        }
    };
    const showTrainingProgress = (done: number, total: number) =>
        setStreamingText(`training ${progressBarText(done / total)} ${done}/${total} prompts`);

    const runCommand = useCallback(async (command: SlashCommand) => {
        switch (command.kind) {
            case "help":
                note([
                    "Commands:", ...SLASH_COMMAND_HELP.map(([c, d]) => `  ${c.padEnd(24)}${d}`),
                    "Keys:", ...KEY_HELP.map(([k, d]) => `  ${k.padEnd(24)}${d}`)
                ].join("\n"));
                return;
            case "clear":
                await conversation.clear();
                setLastReply(undefined);
                setContextUsage(conversation.contextUsage());
                note("Conversation cleared.");
                return;
            case "exit":
                onExit();
                return;
            case "history":
                if (command.policy) {
                    // the user's own choice: later presets keep it, and it is what they fall back to
                    pinned.current.add("history");
                    conversation.historyPolicy = command.policy;
                    if (beforePresets.current) beforePresets.current = {...beforePresets.current, history: command.policy};
                }
                note(historyNote(conversation.historyPolicy, conversation.contextUsage().staleTokens, command.policy != null));
                return;
            case "reeval":
                await runBusy(async () => {
                    note(reevaluateNote(await stoppable((signal) => conversation.reevaluate({signal,
                        onProgress: (done, total) => setStreamingText(historyProgressText(done, total))}))));
                    setContextUsage(conversation.contextUsage());
                });
                return;
            case "system":
                // the user's own prompt is what the next preset falls back to (their sampling stays the fallback too)
                if (beforePresets.current) beforePresets.current = {...beforePresets.current, systemPrompt: command.text || undefined};
                conversation.setSystemPrompt(command.text);
                note(command.text === "" ? "System prompt cleared." : `System prompt set: ${command.text}`);
                return;
            case "vectorAdd":
                await runBusy(async () => {
                    const s = requireSteering();
                    const entry = await stoppable((signal) => loadEntryOrRecipe(s, command.ref, command.coefficient,
                        {train: options.trainRecipe, onProgress: showTrainingProgress, signal}));
                    note([addOrKeepVector(s, entry), ...entry.warnings ?? []].join("\n"));
                    const weak = qualityWarning(entry.name, entry.vector.quality);
                    if (weak) note(weak, "error");
                }, "adding the vector");
                return;
            case "train":
                await runBusy(async () => {
                    if (options.trainRecipe == null) throw new Error("Training is unavailable in this session");
                    const started = performance.now();
                    const train = options.trainRecipe;
                    const file = await stoppable((signal) => train(command.name, {force: true, onProgress: showTrainingProgress, signal}));
                    const {quality} = await loadControlVector(file);
                    note(`Trained ${command.name} for this model in ${((performance.now() - started) / 1000).toFixed(1)} s (${file}); ${adoptTrainedVector(options.steering, command.name, file)}` +
                        (quality ? `\n  ${describeQuality(quality)}` : ""));
                    const weak = qualityWarning(command.name, quality);
                    if (weak) note(weak, "error");
                }, "training");
                return;
            case "vectorSet":
                note(`Next turn: ${requireSteering().update((s) => s.setCoefficient(command.name, command.coefficient)).describe()}`);
                return;
            case "vectorEnable":
                note(`Next turn: ${requireSteering().update((s) => s.setEnabled(command.name, command.enabled)).describe()}`);
                return;
            case "vectorRemove":
                note(`Next turn: ${requireSteering().update((s) => s.remove(command.name)).describe()}`);
                return;
            case "layers": {
                const {state, warning} = requireSteering().setLayers(command.name, command.range);
                note([`Next turn: ${state.describe()}`, ...warning != null ? [warning] : []].join("\n"));
                return;
            }
            case "steerOff":
                note(`Next turn: ${requireSteering().update((s) => s.allOff()).describe()}`);
                return;
            case "steering": {
                const s = requireSteering();
                const replies = messagesRef.current.filter((m) => m.role === "assistant").slice(-5);
                note([`Now: ${s.appliedState.describe()}${s.hasPendingChanges ? ` · next turn: ${s.state.describe()}` : ""}`,
                    ...replies.map((m, i) => `  reply ${messagesRef.current.filter((x) => x.role === "assistant").length - replies.length + i + 1}: ${describeSteering(m.steering)}`)
                ].join("\n"));
                return;
            }
            case "presetSave": {
                if (presets == null) throw new Error("Presets are unavailable in this session");
                // re-saving a preset keeps its description unless a new one is given
                const description = command.description ?? presets.list().find((p) => p.preset.name === command.name && p.origin === "user")?.preset.description;
                const notes = presets.save(presetFromSteering(command.name, requireSteering().state,
                    {description, systemPrompt: conversation.systemPrompt, sampling: presetSampling(conversation.sampling), history: conversation.historyPolicy}));
                note([`Saved preset ${command.name}: ${requireSteering().state.describe()}`, ...notes].join("\n"));
                return;
            }
            case "presetLoad": {
                if (presets == null) throw new Error("Presets are unavailable in this session");
                const {preset} = presets.get(command.name);
                const steering = requireSteering();
                // a vector that does not fit this model but has a recipe is trained first: busy, with progress, stoppable
                await runBusy(async () => {
                    const result = await stoppable((signal) => applyPreset(preset, steering,
                        {train: options.trainRecipe, onProgress: showTrainingProgress, signal}));
                    beforePresets.current ??= {systemPrompt: conversation.systemPrompt, sampling: {...conversation.sampling}, history: conversation.historyPolicy};
                    const settings = presetConversationSettings(preset, beforePresets.current, pinned.current);
                    if (settings.systemPrompt !== conversation.systemPrompt) conversation.setSystemPrompt(settings.systemPrompt);
                    if (settings.history) conversation.historyPolicy = settings.history;
                    Object.assign(conversation.sampling, settings.sampling);
                    const kept = presetSettingsKept(preset, pinned.current).map(settingLabel);
                    note([`Loaded preset ${preset.name} — from the next turn: ${steering.state.describe()}`,
                        ...(kept.length > 0 ? [`  kept your ${kept.join(", ")} (set on the command line, with /set or /history) over the preset's`] : []),
                        ...result.skipped.map((s) => `  skipped ${s}`)].join("\n"), result.skipped.length > 0 && result.loaded.length === 0 ? "error" : "note");
                }, "loading the preset");
                return;
            }
            case "presetList":
                if (presets == null) throw new Error("Presets are unavailable in this session");
                note(presets.list().map(({preset, origin}) => `  ${preset.name.padEnd(18)} ${origin.padEnd(8)} ${describePreset(preset)}`).join("\n") || "No presets yet: /preset save NAME");
                return;
            case "regen":
                await runBusy(async () => {
                    requireLastPrompt();
                    const text = conversation.rewind()!;
                    note(`↻ ${text}`);
                    markLastReplyReplaced();
                    addReply(await generate(text, {commitLines: true}));
                });
                return;
            case "compare":
                await runTrial(async () => {
                    const s = requireSteering();
                    const text = requireLastPrompt();
                    const current = s.state;
                    const history = conversation.snapshot();
                    conversation.rewind();
                    const before = conversation.snapshot();
                    s.update((state) => state.allOff());
                    let off: Reply;
                    try {
                        off = (await generate(text)).reply;
                    } catch (err) {
                        conversation.restore(history); // keep the exchange that was there
                        throw err;
                    } finally {
                        s.update(() => current);
                    }
                    if (off.stopReason === "aborted") {
                        // cut short, the "off" side is no fair half of a comparison: nothing is shown as one
                        conversation.restore(history);
                        if (s.applyStaged() && conversation.historyPolicy === "reeval") await conversation.forgetEvaluation();
                        note("/compare stopped before the reply without steering was complete: no comparison");
                        return;
                    }
                    conversation.restore(before);
                    const on = await generate(text);
                    markLastReplyReplaced();
                    addReply(on);
                    if (on.reply.stopReason === "aborted")
                        return note("/compare stopped before the steered reply was complete: no comparison (the partial reply is kept, marked)");
                    note(sideBySide({title: "steering off", text: off.text}, {title: current.describe(), text: on.reply.text}, columns()));
                });
                return;
            case "sweep":
                await runTrial(async () => {
                    const s = requireSteering();
                    const text = requireLastPrompt();
                    s.state.get(command.name);
                    const original = s.state;
                    const history = conversation.snapshot();
                    conversation.rewind();
                    const before = conversation.snapshot();
                    const rows: SweepRow[] = [];
                    try {
                        for (const coefficient of sweepValues(command.from, command.to, command.step)) {
                            s.update(() => original.setCoefficient(command.name, coefficient).setEnabled(command.name, true));
                            conversation.restore(before);
                            const {reply} = await generate(text);
                            rows.push({coefficient, text: reply.text, meanLogProb: reply.meanLogProb, stopped: reply.stopReason === "aborted"});
                            if (reply.stopReason === "aborted") break;
                        }
                    } finally {
                        s.update(() => original);
                        conversation.restore(history);
                        // the model and its cache hold the last trial value: put the user's steering back now (so
                        // nothing shows as staged that the user did not stage) and, under reeval, have the history
                        // evaluated again (under keep the trials never dropped the history's evaluation)
                        if (s.applyStaged() && conversation.historyPolicy === "reeval") await conversation.forgetEvaluation();
                    }
                    note(sweepTable(command.name, rows, columns()));
                });
                return;
            case "readout":
                note(lastReadoutRef.current ? readoutReport(lastReadoutRef.current, columns())
                    : options.readReply ? "No read-out yet: it comes after a reply, with at least one vector loaded" : "The read-out is unavailable in this session");
                return;
            case "save": {
                checkWritableTarget(command.file, "Transcript file"); // a FIFO or a folder is refused, never opened
                if (!command.force && lstatSync(command.file, {throwIfNoEntry: false}) != null)
                    throw new UserFacingError(`${command.file} exists already`, `/save ${command.file} --force writes over it`);
                const meta = {model: options.modelName ?? "", mode: conversation.mode, systemPrompt: conversation.systemPrompt};
                const body = command.file.toLowerCase().endsWith(".json")
                    ? transcriptJson(messagesRef.current, meta)
                    : transcriptMarkdown(messagesRef.current, meta);
                checkWritableTarget(command.file, "Transcript file"); // checked again: the file may have changed meanwhile
                writeFileAtomic(command.file, body);
                note(`Saved the transcript to ${command.file}`);
                return;
            }
            case "set": {
                // the user's own choice: later presets keep it, and it is what they fall back to
                const key = SAMPLING_SETTINGS[command.name].key;
                pinned.current.add(key);
                conversation.sampling[key] = command.value as never;
                if (beforePresets.current) beforePresets.current = {...beforePresets.current, sampling: {...beforePresets.current.sampling, [key]: command.value}};
                note(`From the next reply: ${describeSampling(conversation.sampling)}`);
                return;
            }
            case "settings":
                note(`Sampling: ${describeSampling(conversation.sampling)}${pinned.current.size > 0
                    ? ` (yours, kept over presets: ${[...pinned.current].map(settingLabel).join(", ")})` : ""}`);
                return;
            case "unknown":
                note(`Unknown command ${command.name} — /help lists the commands`, "error");
                return;
            case "invalid":
                note(command.message, "error");
                return;
        }
    }, [conversation, steering, presets, note, onExit, generate, addReply, runBusy, markLastReplyReplaced]);

    const command = useCallback((input: string) => {
        const parsed = parseSlashCommand(input);
        // while a reply or a training runs, only commands that stage or show something may run: a second job would
        // take over Esc and clear the busy flag under the first (the panel's picker can still send /vector add)
        if (busyRef.current && !COMMANDS_WHILE_BUSY.has(parsed.kind)) {
            note(`Busy: ${input.split(" ")[0]} waits until the current reply or training ends (Esc stops it)`, "error");
            return;
        }
        void runCommand(parsed).catch((err) => note(errorMessage(err), "error"));
    }, [runCommand, note]);

    const send = useCallback((input: string) => {
        if (isSlashCommand(input)) {
            command(input);
            return;
        }
        const text = messageText(input);
        addMessage({role: "user", text});
        void runBusy(async () => addReply(await generate(text, {commitLines: true})));
    }, [command, runBusy, generate, addReply, addMessage]);

    const submit = useCallback((input: string) => {
        if (input.trim() === "") return;
        // typed while a reply or a job runs (or while earlier ones still wait): sent in order once it ends
        if (busyRef.current || queuedRef.current.length > 0) {
            queuedRef.current = [...queuedRef.current, input];
            setQueued(queuedRef.current);
            return;
        }
        send(input);
    }, [send]);

    // the job ended: the next queued prompt goes (a command that is not a job lets the one after it go at once)
    useEffect(() => {
        if (busy || queuedRef.current.length === 0) return;
        const [next, ...rest] = queuedRef.current;
        queuedRef.current = rest;
        setQueued(rest);
        send(next!);
    }, [busy, queued, send]);

    const stop = useCallback(() => abortRef.current?.abort(), []);

    return {messages, streamingText, busy, busyLabel, queued, trialRunning, lastReply, lastReadout, contextUsage, submit, command, note, stop};
}
