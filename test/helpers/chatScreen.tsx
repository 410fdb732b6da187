/**
 * The chat screen (src/ui/App.tsx) in ink-testing-library over an in-memory Conversation
 * (test/helpers/fakeConversation.ts): start it, type and submit as a person does. Each test file calls
 * `unmountChat` after each test (the unit tier shares a worker between files, so nothing may stay mounted).
 */
import React, {useEffect} from "react";
import {App} from "../../src/ui/App.js";
import {ChatSession} from "../../src/session/chatSession.js";
import type {RecipeTrainer} from "../../src/training/recipeVectors.js";
import type {PromptHistory} from "../../src/ui/promptHistory.js";
import {FakeConversation} from "./fakeConversation.js";
import {inAct, keys, mount, press, settle, waitForFrame} from "./ink.js";

/** Tells the test when Ink unmounts the tree, which is what the app's exit() does. */
function ExitProbe({state}: {state: {exited: boolean}}) {
    useEffect(() => () => { state.exited = true; }, [state]);
    return null;
}

/** the screens drawn since the last unmountChat (a test may start more than one) */
const mounted: (() => void)[] = [];

/** unmounts every screen `start` drew (for afterEach) */
export function unmountChat() {
    for (const unmount of mounted.splice(0)) unmount();
}

export async function start(conversation = new FakeConversation(), modelName = "tiny-model.gguf", trainRecipe?: RecipeTrainer,
    history?: PromptHistory) {
    const state = {exited: false};
    const app = await mount(<>
        <App session={new ChatSession({conversation, modelName, trainRecipe})} {...(history ? {history} : {})} />
        <ExitProbe state={state} />
    </>);
    mounted.push(() => app.unmount());
    return {...app, conversation, state};
}

type Screen = {stdin: {write: (data: string) => void}, lastFrame: () => string | undefined};

/** Types text as one chunk (as a terminal delivers a paste or tmux send-keys -l), then waits for the prompt to show it. */
export async function type(app: Screen, text: string) {
    await inAct(() => { app.stdin.write(text); });
    if (text.trim() !== "") await waitForFrame(app.lastFrame, (f) => f.includes(`› ${text.trimEnd()}`));
    await settle();
}

export async function submit(app: Screen, text: string) {
    await type(app, text);
    await press(app.stdin, keys.enter);
}

export const idle = (f: string) => !f.includes("writing (Esc to stop)");

/** polls a condition until it holds or the time runs out; returns its last value */
export async function until(check: () => boolean, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20)); // the polling interval
    return check();
}
