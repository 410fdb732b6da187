/**
 * `steer-chat` (the chat): pick or download a model when none was given, load it, then run the Ink app.
 */
import React, {useEffect, useState} from "react";
import {Box, render, Text, useApp, useInput} from "ink";
import {displayText} from "../displayText.js";
import {asUserFacing, errorMessage, UserFacingError} from "../errors.js";
import {DEMO_HINT, DEMO_MAX_TOKENS, DEMO_MODEL, DEMO_MODEL_LABEL, formatBytes, listLocalModels, modelsDirectory, RECOMMENDED_MODEL_URI,
    resolveModel, type DownloadProgress} from "../engine/modelResolver.js";
import {loadModel, type LoadedModel} from "../engine/runtime.js";
import {App} from "../ui/App.js";
import {ProgressBar} from "../ui/components/ProgressBar.js";
import {SelectList} from "../ui/components/SelectList.js";
import type {CliOptions} from "./options.js";
import type {ChatSession} from "../session/chatSession.js";
import {openSession, type OpenedSession} from "../session/openSession.js";
import {TerminalKeyboard} from "../ui/terminalKeyboard.js";
import {PromptHistory} from "../ui/promptHistory.js";
import {historyFileAppender, historyFilePath, readHistoryFile} from "../ui/historyFile.js";

/** the exit code of a chat left with Ctrl+C before it opened (as a shell reports an interrupted command) */
export const EXIT_INTERRUPTED = 130;

/** under reeval, the pause after the last steering change before the history is evaluated again in the background */
const BACKGROUND_REEVAL_MS = 600;

type Phase =
    /** `error`: why the model picked last could not be opened (the list is shown again) */
    | {kind: "pick", error?: string}
    | {kind: "resolve", spec: string}
    | {kind: "load", path: string, raw: boolean, demo: boolean}
    | {kind: "chat", session: ChatSession, notes: string[], history: PromptHistory, checkSteering?: () => Promise<string | undefined>}
    | {kind: "failed"};

type Outcome = {loaded: LoadedModel | undefined, error: unknown, opened?: OpenedSession};

export async function runChat(options: CliOptions): Promise<number> {
    if (!process.stdin.isTTY)
        throw new UserFacingError("The chat needs an interactive terminal", 'for scripts use: steer-chat ask "prompt" --model M');
    const outcome: Outcome = {loaded: undefined, error: undefined};
    let interrupted = false;
    // the terminal is asked for bracketed paste on its output; with stdout redirected there is nothing to ask
    const terminal = process.stdout.isTTY ? process.stdout : {write: () => true};
    // Ctrl+C while nothing reads keys (resolving, downloading, loading): leave quietly, whatever is still loading
    const keyboard = new TerminalKeyboard(process.stdin, terminal, () => {
        interrupted = true;
        instance.unmount();
    }).start();
    const instance = render(<Startup options={options} outcome={outcome} />,
        {exitOnCtrlC: false, stdin: keyboard as unknown as NodeJS.ReadStream});
    try {
        await instance.waitUntilExit();
    } finally {
        keyboard.stop();
    }
    await outcome.opened?.close();
    if (interrupted) return EXIT_INTERRUPTED;
    await outcome.loaded?.dispose();
    // a start-up failure leaves Ink first, so main reports it like every other command: one line on stderr
    if (outcome.error !== undefined) throw outcome.error;
    return 0;
}

/** the prompt history from the data folder; without it (unreadable), the chat starts with none and says why */
function openHistory(notes: string[]): PromptHistory {
    const file = historyFilePath();
    try {
        return new PromptHistory(readHistoryFile(file), historyFileAppender(file));
    } catch (err) {
        notes.push(`The prompt history is unavailable: ${errorMessage(err)}`);
        return new PromptHistory();
    }
}

function Startup(props: {options: CliOptions, outcome: Outcome}) {
    // runChat renders this once: the options and the outcome it fills are held from the first render, so the effect
    // below (like `exit`, which Ink keeps stable) runs again only when the phase changes
    const [{options, outcome}] = useState(props);
    const {exit} = useApp();
    const [phase, setPhase] = useState<Phase>(() => options.model != null ? {kind: "resolve", spec: options.model} : {kind: "pick"});
    const [progress, setProgress] = useState<DownloadProgress>();
    // Esc / Ctrl+C during a first-use recipe training stops it (start-up then ends with one line); only while the
    // training shows, so Ctrl+C during the model load keeps interrupting the process as usual
    const [startupAbort] = useState(() => new AbortController());
    const training = phase.kind === "load" && progress != null;
    useInput((input, key) => {
        if (key.escape || (key.ctrl && input === "c")) startupAbort.abort();
    }, {isActive: training});

    useEffect(() => {
        let cancelled = false;
        const fail = (err: unknown) => {
            if (cancelled) return;
            // a model picked from the list that does not open: back to the list, saying why
            const userFacing = asUserFacing(err);
            if (options.model == null && outcome.loaded == null && userFacing != null) {
                setProgress(undefined);
                setPhase({kind: "pick", error: userFacing.toLine()});
                return;
            }
            outcome.error = err;
            setPhase({kind: "failed"});
        };
        if (phase.kind === "resolve") {
            resolveModel(phase.spec, {onProgress: setProgress})
                .then((path) => {
                    if (cancelled) return;
                    setProgress(undefined);
                    setPhase({kind: "load", path, raw: options.raw || phase.spec === DEMO_MODEL, demo: phase.spec === DEMO_MODEL});
                }, fail);
        } else if (phase.kind === "load") {
            loadModel(phase.path, options).then(async (loaded) => {
                outcome.loaded = loaded;
                if (cancelled) return;
                const opened = outcome.opened = await openSession(loaded, {...options, mode: phase.raw ? "raw" : "chat", readout: true,
                    ...(phase.demo ? {defaultSampling: {maxTokens: DEMO_MAX_TOKENS}} : {}),
                    onTrainProgress: (done, total) => setProgress({downloadedSize: done, totalSize: total}), signal: startupAbort.signal});
                const {session} = opened;
                const notes = [...opened.notes];
                if (phase.demo) notes.push(DEMO_HINT);
                if (session.steering && !session.steering.state.isNeutral()) notes.push(`Steering: ${session.steering.state.describe()}`);
                const policy = session.steering && session.steerPolicyNote();
                if (policy) notes.push(policy);
                // the check that steering acts runs once the chat is shown (App), not before it
                setPhase({kind: "chat", session, notes, history: openHistory(notes), checkSteering: opened.checkSteering});
            }).catch(fail); // catches a bad --vector / --preset / --layers from setupSteering too, not only the load
        } else if (phase.kind === "failed") {
            exit();
        }
        return () => { cancelled = true; };
    }, [phase, options, outcome, exit, startupAbort.signal]);

    switch (phase.kind) {
        case "pick":
            return <ModelPick error={phase.error} onPick={(spec) => setPhase({kind: "resolve", spec})} onQuit={exit} />;
        case "resolve":
            return progress == null
                ? <Text>Resolving {displayText(phase.spec)}…</Text>
                : <Box flexDirection="column">
                    <Text>Downloading {displayText(phase.spec)}</Text>
                    <ProgressBar fraction={progress.downloadedSize / Math.max(1, progress.totalSize)}
                        label={`${formatBytes(progress.downloadedSize)} / ${formatBytes(progress.totalSize)}`} />
                </Box>;
        case "load":
            return progress == null
                ? <Text>Loading {displayText(phase.path)}…</Text>
                : <Box flexDirection="column">
                    <Text>Training a recipe vector for this model (cached for next time; Esc stops)</Text>
                    <ProgressBar fraction={progress.downloadedSize / Math.max(1, progress.totalSize)} label={`${progress.downloadedSize}/${progress.totalSize} prompts`} />
                </Box>;
        case "chat":
            return <App session={phase.session} banner={phase.notes} history={phase.history} backgroundReevalMs={BACKGROUND_REEVAL_MS}
                startupCheck={phase.checkSteering} />;
        case "failed":
            return null;
    }
}

/** The settings given as flags: explicit flags win over presets, at start-up and in the chat. */
function ModelPick({error, onPick, onQuit}: {error?: string, onPick: (spec: string) => void, onQuit: () => void}) {
    const local = listLocalModels();
    const items = [
        {label: DEMO_MODEL_LABEL, value: DEMO_MODEL, hint: "--model demo"},
        ...local.map((m) => ({label: displayText(m.name), value: m.path, hint: formatBytes(m.sizeBytes)})),
        {label: "Download a recommended small chat model", value: RECOMMENDED_MODEL_URI, hint: RECOMMENDED_MODEL_URI},
        {label: "Quit", value: ""}
    ];
    return (
        <Box flexDirection="column">
            {error != null && <Text color="red">{displayText(error, 1000)}</Text>}
            <Text bold>No --model given. {local.length > 0 ? `Models in ${displayText(modelsDirectory())}:` : `No models in ${displayText(modelsDirectory())} yet.`}</Text>
            {/* a new list for each error: the one before took its choice and takes no more keys */}
            <SelectList key={error ?? ""} items={items} onSelect={(value) => (value === "" ? onQuit() : onPick(value))} onCancel={onQuit} />
            <Text dimColor>Or pass one: steer-chat --model path/to/model.gguf</Text>
        </Box>
    );
}
