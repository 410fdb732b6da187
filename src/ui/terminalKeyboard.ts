/**
 * The chat's keyboard: a stand-in for process.stdin that Ink reads from (render's `stdin` option). It owns the
 * terminal for the whole chat, from the "Loading …" line to the exit:
 * - raw mode from the start, so keys typed while the model loads are kept for the prompt (not echoed over the
 *   screen), and Ctrl+C then is a key, not a SIGINT that would kill node-llama-cpp's binary test half-way (which
 *   printed its stack trace): while nothing in Ink reads keys, Ctrl+C calls `onInterrupt` instead;
 * - bracketed paste on (ESC[?2004h), and off again on every way out (stop, exit, a crash, SIGTERM/SIGHUP/SIGINT);
 * - each key and each paste is one read (see keySplitter.ts), so Ink hands them to useInput one by one, and every
 *   escape sequence is decoded first (keyDecoder.ts): Ink is only ever given keys in forms it reads, as a sequence it
 *   half-knows (Ctrl+F1's ESC[1;5P) made it throw and end the chat.
 * Ink turning "raw mode" on and off only says whether it is listening; the terminal stays raw until stop().
 */
import {Readable} from "node:stream";
import {BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, createKeySplitter} from "./keySplitter.js";

/** the part of a TTY read stream the keyboard uses */
export type TtyInput = {
    setRawMode(enabled: boolean): unknown,
    setEncoding(encoding: BufferEncoding): unknown,
    on(event: "data", listener: (data: string) => void): unknown,
    off(event: "data", listener: (data: string) => void): unknown,
    ref(): unknown,
    unref(): unknown,
    pause(): unknown,
    resume(): unknown
};

/** a lone Esc (or the start of a marker cut in two) is given this long for the rest of its sequence */
export const KEY_WAIT_MS = 30;
/** a paste whose end marker never comes ends after this long without input */
export const PASTE_WAIT_MS = 1000;

const CTRL_C = "\u0003";
/** signals that end the process without an exit event (Ctrl+C is a key in raw mode; SIGINT here comes from kill) */
const EXIT_SIGNALS = ["SIGTERM", "SIGHUP", "SIGINT"] as const;

export class TerminalKeyboard extends Readable {
    readonly isTTY = true;
    private readonly splitter = createKeySplitter();
    private listening = false;
    private running = false;
    private timer: NodeJS.Timeout | undefined;

    constructor(private readonly tty: TtyInput, private readonly output: {write(data: string): unknown},
        private readonly onInterrupt: () => void) {
        super({objectMode: true});
    }

    start(): this {
        if (this.running) return this;
        this.running = true;
        this.tty.setRawMode(true);
        this.tty.setEncoding("utf8");
        this.tty.on("data", this.onData);
        this.tty.resume();
        this.output.write(BRACKETED_PASTE_ON);
        process.on("exit", this.restore);
        for (const signal of EXIT_SIGNALS) process.once(signal, this.onSignal);
        return this;
    }

    /** gives the terminal back as it was: cooked mode, no bracketed paste, stdin no longer read */
    stop(): void {
        if (!this.running) return;
        clearTimeout(this.timer);
        this.tty.off("data", this.onData);
        this.tty.pause();
        this.restore();
        process.off("exit", this.restore);
        for (const signal of EXIT_SIGNALS) process.off(signal, this.onSignal);
    }

    /** Ink's raw mode: whether it reads keys now (the terminal itself stays raw) */
    setRawMode(enabled: boolean): this {
        this.listening = enabled;
        return this;
    }

    ref(): this {
        this.tty.ref();
        return this;
    }

    unref(): this {
        this.tty.unref();
        return this;
    }

    /**
     * The keys are strings already. Ink sets utf8 when it starts listening, and Readable's own setEncoding would then
     * join the keys buffered so far (typed while the model loaded) into one string and miscount them.
     */
    override setEncoding(_encoding: BufferEncoding): this {
        return this;
    }

    override _read(): void {
        // keys are pushed as they come (onData); nothing to fetch on demand
    }

    private readonly restore = () => {
        if (!this.running) return;
        this.running = false;
        this.output.write(BRACKETED_PASTE_OFF);
        this.tty.setRawMode(false);
    };

    private readonly onSignal = (signal: NodeJS.Signals) => {
        this.stop();
        process.kill(process.pid, signal); // the default action (or the next listener), now that the terminal is back
    };

    private readonly onData = (data: string) => {
        clearTimeout(this.timer);
        this.deliver(this.splitter.push(data));
        const waiting = this.splitter.waiting;
        if (waiting != null) this.timer = setTimeout(() => this.deliver(this.splitter.flush()), waiting === "paste" ? PASTE_WAIT_MS : KEY_WAIT_MS);
    };

    private deliver(events: string[]) {
        for (const event of events) {
            if (event === CTRL_C && !this.listening) this.onInterrupt();
            else this.push(event);
        }
    }
}
