/**
 * The chat screen. Finished messages go to Ink's <Static> (printed once, never re-rendered, so long chats stay
 * fast and stay in the terminal's scrollback); only the reply being written, the steering panel, the prompt and the
 * status re-render. Tab moves the keyboard between the prompt and the panel; Ctrl+S / Ctrl+P / F1 work anywhere.
 * Every key goes through one router (keyRouter.ts), made before any overlay: an overlay opened by a key gets the keys
 * that came with it, and the focus and the open overlay are current between renders, so a burst acts key by key.
 */
import React, {useCallback, useEffect, useMemo, useRef, useState} from "react";
import {Box, Static, Text, useApp, useInput, useStdout} from "ink";
import {displayLines, displayText} from "../displayText.js";
import {errorMessage} from "../errors.js";
import {MessageView, ReplyText} from "./components/MessageView.js";
import {HelpOverlay, PresetNamePrompt, PresetPicker, VectorPicker} from "./components/Overlays.js";
import {PromptLine} from "./components/PromptLine.js";
import {StatusBar} from "./components/StatusBar.js";
import {SteeringPanel} from "./components/SteeringPanel.js";
import type {PromptHistory} from "./promptHistory.js";
import {promptOnOneRow} from "./promptLayout.js";
import {useChat} from "./useChat.js";
import {useTerminalSize} from "./useColumns.js";
import type {ChatSession} from "../session/chatSession.js";
import type {SteeringEntry} from "../steering/steeringState.js";
import {useHelpKey} from "./useHelpKey.js";
import {useStartupCheck, type StartupCheck} from "./useStartupCheck.js";
import {useSteeringPanel} from "./useSteeringPanel.js";
import {KeyRouter} from "./keyRouter.js";
import {KeyRouterContext, useBaseKeys} from "./useKeyRouter.js";
import {readsOf} from "./readoutView.js";

export type AppProps = {
    /** the chat with its model, steering and presets; the screen only calls it */
    session: ChatSession,
    /** lines shown once above the conversation (e.g. warnings from start-up) */
    banner?: string[],
    /** the prompts sent before, for ↑/↓ (the chat command keeps them in the data folder) */
    history?: PromptHistory,
    /** under reeval, start evaluating the history again this long after the last steering change (the chat: 600 ms) */
    backgroundReevalMs?: number,
    /** run once the chat is shown, without holding the prompt: its warning, if any, comes as a note (steering that does not act) */
    startupCheck?: StartupCheck
};

type Overlay = "help" | "addVector" | "loadPreset" | "savePreset" | undefined;

/** what Ctrl+L writes: clear the screen and put the cursor home (Ink then draws the live area again at the top) */
export const CLEAR_SCREEN = "\u001b[2J\u001b[H";

/** what a change of width writes before the transcript is printed again: the screen and its scrollback cleared */
export const CLEAR_TERMINAL = "\u001b[2J\u001b[3J\u001b[H";

/** how long the width rests before the transcript is printed again for it (a window dragged wider fires many) */
export const RESIZE_REDRAW_MS = 150;

export function App({session, banner = [], history, backgroundReevalMs, startupCheck}: AppProps) {
    const {conversation, modelName, presets} = session;
    /** whether the model can be steered: the panel and its keys are there only then */
    const steerable = session.canSteer;
    // the steering gates in words (a condition names a vector the user typed: escaped)
    const gates = (session.gates?.describe() ?? []).map((g) => displayText(g));
    const {exit} = useApp();
    const {stdout, write} = useStdout();
    const columns = useCallback(() => stdout.columns ?? 100, [stdout]);
    const {columns: width, rows} = useTerminalSize();
    /** chat mode draws replies as Markdown; raw mode's text is a continuation, shown as it is */
    const markdown = conversation.mode === "chat";
    // a terminal that reflows its lines on a resize leaves rows of the old live area (a partial reply, a broken
    // border) that Ink's redraw does not reach: once the width rests, the screen is cleared and the transcript printed
    // again (<Static> remounted), drawn for the new width
    const [transcriptPrint, setTranscriptPrint] = useState(0);
    const printedWidth = useRef(width);
    useEffect(() => {
        if (width === printedWidth.current) return;
        const timer = setTimeout(() => {
            printedWidth.current = width;
            write(CLEAR_TERMINAL);
            setTranscriptPrint((n) => n + 1);
        }, RESIZE_REDRAW_MS);
        return () => clearTimeout(timer);
    }, [width, write]);
    const chat = useChat(session, {onExit: exit, columns, backgroundReevalMs});
    // the model's calibration, for strengths in σ beside the raw coefficients (measured once per model, then cached)
    const [calibrated, setCalibrated] = useState(false);
    useEffect(() => {
        if (!session.canSteer) return;
        session.loadCalibration().then((c) => setCalibrated(c != null), () => setCalibrated(false));
    }, [session]);
    const sigmaOf = useCallback((entry: SteeringEntry) => session.sigmaOf(entry), [session]);
    // one router for the screen's keys, made before anything listens (keyRouter.ts)
    const [router] = useState(() => new KeyRouter());
    // the focus as the next key sees it (a ref: Tab and the keys after it in one burst), and as it is drawn
    const focusRef = useRef<"prompt" | "panel">("prompt");
    const [focus, setFocusState] = useState<"prompt" | "panel">("prompt");
    const setFocus = useCallback((next: "prompt" | "panel" | ((f: "prompt" | "panel") => "prompt" | "panel")) => {
        focusRef.current = typeof next === "function" ? next(focusRef.current) : next;
        setFocusState(focusRef.current);
    }, []);
    const reads = useMemo(() => readsOf(chat.lastReadout), [chat.lastReadout]); // a new map per render would defeat the panel's memo
    const [overlay, setOverlay] = useState<Overlay>();
    /** an overlay takes the keyboard at once (the router queues its keys until it is drawn) */
    const openOverlay = (kind: Exclude<Overlay, undefined>) => {
        router.openOverlay();
        setOverlay(kind);
    };
    /** whether the prompt holds text (Ctrl+C in the panel must not throw it away) */
    const promptEmpty = useRef(true);
    const panel = useSteeringPanel(session, () => focusRef.current === "panel", {
        // adding may train a recipe: a second job while one runs is refused (staging keys still work)
        onAdd: () => (chat.busy ? chat.note("Busy: adding a vector waits until the current reply or training ends (Esc stops it)", "error")
            : openOverlay("addVector")),
        onHelp: () => openOverlay("help"),
        onError: (message) => chat.note(message, "error")
    }, router);

    useHelpKey(() => { if (!router.overlayOpen) openOverlay("help"); }, !chat.busy && overlay == null);
    const {note} = chat; // stable (useTranscript's memo), so the handler is set once per history
    useStartupCheck(startupCheck, note);
    useEffect(() => {
        if (history) history.onError = (err) => note(`The prompt history could not be saved: ${errorMessage(err)}`, "error");
    }, [history, note]);

    // Ink's keys, all of them, into the router (Ctrl+L clears the screen whatever has the keyboard)
    useInput((input, key) => {
        if (key.ctrl && input === "l") write(CLEAR_SCREEN);
        else router.dispatch(input, key);
    });
    // the app's own keys, under the overlays (while one is open, the router gives it every key: Esc closes it, not the reply)
    useBaseKeys(router, (input, key) => {
        const ctrlC = key.ctrl && input === "c";
        const focus = focusRef.current;
        if (chat.busy) {
            if (key.escape || ctrlC) chat.stop();
            // the panel stays reachable while a reply is written: changes made then are staged for the next turn
            // (not during /compare or /sweep, which set the steering for each trial and put it back after)
            else if (key.tab && steerable && !chat.trialRunning) setFocus((f) => (f === "prompt" ? "panel" : "prompt"));
            return;
        }
        // on the prompt, the prompt clears its line first (or quits when it is empty); in the panel, a half-typed
        // prompt is not lost: Ctrl+C goes back to it
        if (ctrlC) {
            if (focus === "panel" && promptEmpty.current) exit();
            else if (focus === "panel") setFocus("prompt");
        } else if (key.tab && steerable) setFocus((f) => (f === "prompt" ? "panel" : "prompt"));
        else if (key.escape && focus === "panel") setFocus("prompt");
        else if (key.ctrl && input === "s" && steerable && presets != null) openOverlay("savePreset");
        else if (key.ctrl && input === "p" && steerable && presets != null) openOverlay("loadPreset");
    });

    const closeOverlay = () => {
        router.closeOverlay();
        setOverlay(undefined);
    };
    const runAndClose = (command: string) => {
        closeOverlay();
        chat.command(command);
    };

    return (
        <KeyRouterContext.Provider value={router}>
        <Box flexDirection="column">
            <Static key={transcriptPrint} items={[{id: -1, banner: true} as const, ...chat.messages]}>
                {(item) => "banner" in item
                    ? <Box key="banner" flexDirection="column">
                        <Text bold>steer-chat · {modelName}</Text>
                        {banner.map((line, i) => <Text key={i} color="yellow">{displayLines(line)}</Text>)}
                    </Box>
                    : <MessageView key={item.id} message={item} markdown={markdown} columns={width} />}
            </Static>
            {chat.busy && (chat.streamingMarkdown
                ? <ReplyText text={chat.streamingText} markdown columns={width} openFence={chat.streamingMarkdown.openFence} />
                : <Text>{displayLines(chat.streamingText)}</Text>)}
            {chat.asides.map((aside, i) => <Text key={i} color={aside.role === "error" ? "red" : undefined} dimColor={aside.role === "note"}>
                {displayLines(aside.text)}</Text>)}
            {/* the help overlay takes the panel's place, so it has the screen's height to show itself in */}
            {steerable && overlay !== "help" && <SteeringPanel state={panel.state} pending={panel.pending} focused={focus === "panel"} selected={panel.selected}
                sigmaOf={calibrated ? sigmaOf : undefined} replyOnly={session.steerPolicy === "reply"}
                policy={[...session.steerPolicy.includes(":") ? [session.steerPolicy] : [], ...gates].join(" · ") || undefined}
                reads={reads} columns={width} />}
            {overlay === "help" && <HelpOverlay onClose={closeOverlay} columns={width} rows={rows} />}
            {overlay === "addVector" && <VectorPicker trainedDir={session.trainedDir} shape={session.steeringShape} onPick={(name) => runAndClose(`/vector add ${name}`)} onClose={closeOverlay} />}
            {overlay === "loadPreset" && presets && <PresetPicker store={presets} onPick={(name) => runAndClose(`/preset load ${name}`)} onClose={closeOverlay} />}
            {overlay === "savePreset" && <PresetNamePrompt originOf={(name) => presets?.list().find((p) => p.preset.name === name)?.origin} onSave={(name, description) => runAndClose(`/preset save ${name} ${description}`.trim())}
                onClose={closeOverlay} />}
            {chat.busy && <Text dimColor>… {chat.busyLabel} (Esc to stop){focus === "prompt" ? " · Enter queues a message" : ""}</Text>}
            {chat.queued.map((text, i) => <Text key={i} dimColor wrap="truncate-end">⏎ queued: {displayLines(promptOnOneRow(text, width))}</Text>)}
            <Box marginTop={steerable || chat.busy ? 0 : 1}>
                <PromptLine busy={chat.busy} focused={focus === "prompt" && overlay == null} takesKeys={() => focusRef.current === "prompt"} onSubmit={chat.submit} onQuit={exit} history={history}
                    onEmptyChange={(empty) => { promptEmpty.current = empty; }} />
            </Box>
            <StatusBar modelName={modelName} mode={conversation.mode} contextUsage={chat.contextUsage}
                tokensPerSecond={chat.lastReply?.tokensPerSecond} timing={chat.lastReply?.timing} meanLogProb={chat.lastReply?.meanLogProb}
                gauge={chat.lastGauge} busy={chat.busy} columns={width}
                steer={steerable ? session.steerPolicy : undefined} gates={gates.join(" · ") || undefined} />
        </Box>
        </KeyRouterContext.Provider>
    );
}
