/** Helpers for driving Ink apps in ink-testing-library like a person at a keyboard. */
import {EventEmitter} from "node:events";
import {act, createElement, Fragment, useEffect, useState, type ReactNode} from "react";
import {render} from "ink-testing-library";
export const keys = {
    enter: "\r",
    tab: "\t",
    escape: "\u001B",
    up: "\u001B[A",
    down: "\u001B[B",
    right: "\u001B[C",
    left: "\u001B[D",
    shiftRight: "\u001B[1;2C",
    shiftLeft: "\u001B[1;2D",
    ctrlC: "\u0003",
    ctrlS: "\u0013",
    ctrlP: "\u0010"
};

/**
 * Runs `fn` in React's act(): what it sets off in React (renders, the effects they schedule, the effects of those) is
 * done when this resolves. act() is on only for its own scope, so updates from outside (a streamed reply) draw as
 * they do in the app, without act's warnings.
 */
export async function inAct(fn: () => void | Promise<void>) {
    const scope = globalThis as {IS_REACT_ACT_ENVIRONMENT?: boolean};
    const before = scope.IS_REACT_ACT_ENVIRONMENT;
    scope.IS_REACT_ACT_ENVIRONMENT = true;
    try {
        await act(async () => { await fn(); });
    } finally {
        scope.IS_REACT_ACT_ENVIRONMENT = before;
    }
}

/** the render requests of every EffectFlush mounted */
const flushers = new Set<() => void>();

/**
 * Mounted beside an app under test: `settle` renders it, and React runs every effect still pending (one scheduled by
 * a frame drawn outside act, such as the prompt turning on when a reply ends) before it renders.
 */
export function EffectFlush() {
    const [, setCount] = useState(0);
    useEffect(() => {
        const flush = () => setCount((n) => n + 1);
        flushers.add(flush);
        return () => { flushers.delete(flush); };
    }, []);
    return null;
}

/** Lets the app catch up: every pending effect runs, and whatever that sets off in React is done. */
export async function settle() {
    await inAct(() => {
        for (const flush of flushers) flush();
    });
}

/**
 * Renders an app in ink-testing-library, in act() and with an EffectFlush beside it: when this returns the first frame
 * is drawn and the inputs it turns on take keys.
 */
export async function mount(tree: ReactNode): Promise<ReturnType<typeof render>> {
    let app: ReturnType<typeof render> | undefined;
    await inAct(() => { app = render(createElement(Fragment, null, tree, createElement(EffectFlush))); });
    return app!;
}

/** one turn of the event loop: Ink hands a lone Esc over on the next one (it waits to see whether a sequence follows) */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes keys one at a time, as typing does (Ink reads one chunk per event), each in act(): when it returns, the app
 * has handled every key and drawn the result, and an input a key turned on (the panel's, a dialog's) takes the next
 * one. What a key starts that is not React's (a reply, a file written) is waited for by the test, on the frame.
 */
export async function press(stdin: {write: (data: string) => void}, ...sequence: string[]) {
    for (const k of sequence) {
        await settle();
        await inAct(async () => {
            stdin.write(k);
            await nextTurn();
        });
    }
}

/** types text one character at a time, as press does */
export async function typeText(stdin: {write: (data: string) => void}, text: string) {
    await press(stdin, ...text);
}

/** Polls until the frame satisfies the check; throws with the last frame when the time runs out. */
export async function waitForFrame(frame: () => string | undefined, check: (f: string) => boolean, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const f = frame() ?? "";
        if (check(f)) return f;
        if (Date.now() > deadline) throw new Error(`waitForFrame: timed out after ${timeoutMs} ms waiting for ${check.toString()}; last frame:\n${f}`);
        await new Promise((resolve) => setTimeout(resolve, 20)); // the polling interval: the check decides, not the time
    }
}

/**
 * A terminal's input for TerminalKeyboard (src/ui/terminalKeyboard.ts): what `type` sends arrives as one chunk, as
 * a pty read delivers it; the raw-mode switches are recorded.
 */
export class FakeTty extends EventEmitter {
    rawMode = false;
    readonly rawModeCalls: boolean[] = [];
    setRawMode(enabled: boolean) {
        this.rawMode = enabled;
        this.rawModeCalls.push(enabled);
        return this;
    }
    setEncoding() { return this; }
    ref() { return this; }
    unref() { return this; }
    pause() { return this; }
    resume() { return this; }
    type(chunk: string) {
        this.emit("data", chunk);
    }
}

/** Ink's output in debug mode: every write is a whole frame */
export class FakeStdout extends EventEmitter {
    columns = 100;
    rows = 40;
    readonly frames: string[] = [];
    write = (data: string) => {
        this.frames.push(data);
        return true;
    };
    lastFrame = () => this.frames.at(-1);
}

/** collects what is written (the keyboard's mode switches) */
export class Recorder {
    text = "";
    write(data: string) {
        this.text += data;
        return true;
    }
}
