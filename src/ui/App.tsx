/**
 * The chat screen. Finished messages go to Ink's <Static> (printed once, never re-rendered, so long chats stay
 * fast and stay in the terminal's scrollback); only the reply being written, the steering panel, the prompt and the
 * status re-render. Tab moves the keyboard between the prompt and the panel; Ctrl+S / Ctrl+P / F1 work anywhere.
 */
import React, {useState} from "react";
import {Box, Static, Text, useApp, useInput, useStdout} from "ink";
import type {Conversation} from "../engine/conversation.js";
import type {PresetStore} from "../presets/presetStore.js";
import type {ConversationSettings} from "../presets/applyPreset.js";
import type {SteeringController} from "../steering/steeringController.js";
import {MessageView} from "./components/MessageView.js";
import {HelpOverlay, PresetNamePrompt, PresetPicker, VectorPicker} from "./components/Overlays.js";
import {PromptLine} from "./components/PromptLine.js";
import {StatusBar} from "./components/StatusBar.js";
import {SteeringPanel} from "./components/SteeringPanel.js";
import {useChat} from "./useChat.js";
import {useHelpKey} from "./useHelpKey.js";
import {useSteeringPanel} from "./useSteeringPanel.js";
import type {RecipeTrainer} from "../training/recipeVectors.js";

export type AppProps = {
    conversation: Conversation,
    modelName: string,
    steering?: SteeringController,
    presets?: PresetStore,
    trainRecipe?: RecipeTrainer,
    /** lines shown once above the conversation (e.g. warnings from start-up) */
    banner?: string[],
    /** the system prompt and sampling from the flags alone, when --preset added its own on top */
    settingsBeforePresets?: ConversationSettings
};

type Overlay = "help" | "addVector" | "loadPreset" | "savePreset" | undefined;

export function App({conversation, modelName, steering, presets, trainRecipe, banner = [], settingsBeforePresets}: AppProps) {
    const {exit} = useApp();
    const {stdout} = useStdout();
    const chat = useChat(conversation, {onExit: exit, steering, presets, modelName, trainRecipe, settingsBeforePresets,
        columns: () => stdout.columns ?? 100});
    const [focus, setFocus] = useState<"prompt" | "panel">("prompt");
    const [overlay, setOverlay] = useState<Overlay>();
    const panel = useSteeringPanel(steering, focus === "panel" && overlay == null, {
        // adding may train a recipe: a second job while one runs is refused (staging keys still work)
        onAdd: () => (chat.busy ? chat.note("Busy: adding a vector waits until the current reply or training ends (Esc stops it)", "error")
            : setOverlay("addVector")),
        onHelp: () => setOverlay("help"),
        onError: (message) => chat.note(message, "error")
    });

    useHelpKey(() => setOverlay("help"), !chat.busy && overlay == null);

    useInput((input, key) => {
        const ctrlC = key.ctrl && input === "c";
        if (chat.busy) {
            if (overlay != null) return; // the overlay takes its own keys: Esc closes it, not the reply
            if (key.escape || ctrlC) chat.stop();
            // the panel stays reachable while a reply is written: changes made then are staged for the next turn
            // (not during /compare or /sweep, which set the steering for each trial and put it back after)
            else if (key.tab && steering != null && !chat.trialRunning) setFocus((f) => (f === "prompt" ? "panel" : "prompt"));
            return;
        }
        if (overlay != null) return;
        if (ctrlC) exit();
        else if (key.tab && steering != null) setFocus((f) => (f === "prompt" ? "panel" : "prompt"));
        else if (key.escape && focus === "panel") setFocus("prompt");
        else if (key.ctrl && input === "s" && steering != null && presets != null) setOverlay("savePreset");
        else if (key.ctrl && input === "p" && steering != null && presets != null) setOverlay("loadPreset");
    });

    const closeOverlay = () => setOverlay(undefined);
    const runAndClose = (command: string) => {
        closeOverlay();
        chat.command(command);
    };

    return (
        <Box flexDirection="column">
            <Static items={[{id: -1, banner: true} as const, ...chat.messages]}>
                {(item) => "banner" in item
                    ? <Box key="banner" flexDirection="column">
                        <Text bold>steer-chat · {modelName}</Text>
                        {banner.map((line, i) => <Text key={i} color="yellow">{line}</Text>)}
                    </Box>
                    : <MessageView key={item.id} message={item} />}
            </Static>
            {chat.busy && <Text>{chat.streamingText}</Text>}
            {steering != null && <SteeringPanel state={panel.state} pending={panel.pending} focused={focus === "panel"} selected={panel.selected} />}
            {overlay === "help" && <HelpOverlay onClose={closeOverlay} />}
            {overlay === "addVector" && <VectorPicker onPick={(name) => runAndClose(`/vector add ${name}`)} onClose={closeOverlay} />}
            {overlay === "loadPreset" && presets && <PresetPicker store={presets} onPick={(name) => runAndClose(`/preset load ${name}`)} onClose={closeOverlay} />}
            {overlay === "savePreset" && <PresetNamePrompt onSave={(name) => runAndClose(`/preset save ${name}`)} onClose={closeOverlay} />}
            <Box marginTop={steering != null ? 0 : 1}>
                <PromptLine busy={chat.busy} focused={focus === "prompt" && overlay == null} onSubmit={chat.submit} />
            </Box>
            <StatusBar modelName={modelName} mode={conversation.mode} contextUsage={chat.contextUsage}
                tokensPerSecond={chat.lastReply?.tokensPerSecond} meanLogProb={chat.lastReply?.meanLogProb} busy={chat.busy} />
        </Box>
    );
}
