/**
 * `steer-chat` (the chat): pick or download a model when none was given, load it, then run the Ink app.
 */
import React, {useEffect, useState} from "react";
import {Box, render, Text, useApp, useInput} from "ink";
import {createConversation, type Conversation} from "../engine/conversation.js";
import {errorMessage, UserFacingError} from "../engine/errors.js";
import {formatBytes, listLocalModels, modelsDirectory, RECOMMENDED_MODEL_URI, resolveModel, type DownloadProgress} from "../engine/modelResolver.js";
import {loadModel, type LoadedModel} from "../engine/runtime.js";
import {App} from "../ui/App.js";
import {ProgressBar} from "../ui/components/ProgressBar.js";
import {SelectList} from "../ui/components/SelectList.js";
import type {CliOptions} from "./options.js";
import {conversationSettings, setupSteering, steeringHooks, type SteeringSetup} from "./setupSteering.js";
import {PresetStore} from "../presets/presetStore.js";
import {recipeTrainerFor} from "../training/recipeVectors.js";
import {DEFAULT_SAMPLING} from "../engine/sampling.js";
import type {ConversationSettings} from "../presets/applyPreset.js";

type Phase =
    | {kind: "pick"}
    | {kind: "resolve", spec: string}
    | {kind: "load", path: string}
    | {kind: "chat", loaded: LoadedModel, conversation: Conversation, notes: string[], steering: SteeringSetup["controller"], presets: PresetStore | undefined,
        settingsBeforePresets: ConversationSettings | undefined}
    | {kind: "failed"};

type Outcome = {loaded: LoadedModel | undefined, error: unknown};

export async function runChat(options: CliOptions): Promise<number> {
    if (!process.stdin.isTTY)
        throw new UserFacingError("The chat needs an interactive terminal", 'for scripts use: steer-chat ask "prompt" --model M');
    const outcome: Outcome = {loaded: undefined, error: undefined};
    const instance = render(<Startup options={options} outcome={outcome} />, {exitOnCtrlC: false});
    await instance.waitUntilExit();
    await outcome.loaded?.dispose();
    // a start-up failure leaves Ink first, so main reports it like every other command: one line on stderr
    if (outcome.error !== undefined) throw outcome.error;
    return 0;
}

function Startup({options, outcome}: {options: CliOptions, outcome: Outcome}) {
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
            outcome.error = err;
            setPhase({kind: "failed"});
        };
        if (phase.kind === "resolve") {
            resolveModel(phase.spec, {onProgress: setProgress})
                .then((path) => {
                    if (cancelled) return;
                    setProgress(undefined);
                    setPhase({kind: "load", path});
                }, fail);
        } else if (phase.kind === "load") {
            loadModel(phase.path, options).then(async (loaded) => {
                outcome.loaded = loaded;
                if (cancelled) return;
                const steering = await setupSteering(loaded, options,
                    (done, total) => setProgress({downloadedSize: done, totalSize: total}), startupAbort.signal);
                const conversation = createConversation(loaded, {
                    mode: options.raw ? "raw" : "chat",
                    ...steeringHooks(steering.controller),
                    ...conversationSettings(options, steering)
                });
                const notes = [...steering.notes];
                if (steering.controller && !steering.controller.state.isNeutral()) notes.push(`Steering: ${steering.controller.state.describe()}`);
                let presets: PresetStore | undefined;
                try {
                    presets = new PresetStore();
                    notes.push(...presets.notices);
                } catch (err) {
                    notes.push(`Presets are unavailable: ${errorMessage(err)}`);
                }
                // with --preset, what a later /preset load falls back to is the flags alone, not this preset's settings
                const flagsOnly = conversationSettings(options, {controller: steering.controller, notes: []});
                const settingsBeforePresets = options.preset != null
                    ? {systemPrompt: flagsOnly.systemPrompt, sampling: {...DEFAULT_SAMPLING, ...flagsOnly.sampling}, history: flagsOnly.history} : undefined;
                setPhase({kind: "chat", loaded, conversation, notes, steering: steering.controller, presets, settingsBeforePresets});
            }).catch(fail); // catches a bad --vector / --preset / --layers from setupSteering too, not only the load
        } else if (phase.kind === "failed") {
            exit();
        }
        return () => { cancelled = true; };
    }, [phase]);

    switch (phase.kind) {
        case "pick":
            return <ModelPick onPick={(spec) => setPhase({kind: "resolve", spec})} onQuit={exit} />;
        case "resolve":
            return progress == null
                ? <Text>Resolving {phase.spec}…</Text>
                : <Box flexDirection="column">
                    <Text>Downloading {phase.spec}</Text>
                    <ProgressBar fraction={progress.downloadedSize / Math.max(1, progress.totalSize)}
                        label={`${formatBytes(progress.downloadedSize)} / ${formatBytes(progress.totalSize)}`} />
                </Box>;
        case "load":
            return progress == null
                ? <Text>Loading {phase.path}…</Text>
                : <Box flexDirection="column">
                    <Text>Training a recipe vector for this model (cached for next time; Esc stops)</Text>
                    <ProgressBar fraction={progress.downloadedSize / Math.max(1, progress.totalSize)} label={`${progress.downloadedSize}/${progress.totalSize} prompts`} />
                </Box>;
        case "chat":
            return <App conversation={phase.conversation} modelName={phase.loaded.modelName} banner={phase.notes}
                steering={phase.steering} presets={phase.presets} trainRecipe={recipeTrainerFor(phase.loaded)}
                settingsBeforePresets={phase.settingsBeforePresets} />;
        case "failed":
            return null;
    }
}

function ModelPick({onPick, onQuit}: {onPick: (spec: string) => void, onQuit: () => void}) {
    const local = listLocalModels();
    const items = [
        ...local.map((m) => ({label: m.name, value: m.path, hint: formatBytes(m.sizeBytes)})),
        {label: `Download a recommended small chat model`, value: RECOMMENDED_MODEL_URI, hint: RECOMMENDED_MODEL_URI},
        {label: "Quit", value: ""}
    ];
    return (
        <Box flexDirection="column">
            <Text bold>No --model given. {local.length > 0 ? `Models in ${modelsDirectory()}:` : `No models in ${modelsDirectory()} yet.`}</Text>
            <SelectList items={items} onSelect={(value) => (value === "" ? onQuit() : onPick(value))} onCancel={onQuit} />
            <Text dimColor>Or pass one: steer-chat --model path/to/model.gguf</Text>
        </Box>
    );
}
