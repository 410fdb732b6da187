/**
 * Who may use the one context, and when. A control vector belongs to the whole llama.cpp context, so requests with
 * different steering must never share a decode: a request either runs alone (no key), or in a batch with requests
 * whose key (their steering) is equal, up to `width` at once. Requests wait in arrival order; a batch starts with
 * the first waiting request and takes every waiting request with its key, and while it runs, a request with its
 * key joins it as a place frees up, unless a request with other steering waits (then the batch drains, `endBatch`
 * runs, and the queue switches). At most `maxWaiting` wait (one more is refused with QueueFullError), a waiting
 * request whose client goes away is dropped without running, and closing the queue refuses everything that waits or
 * comes later (ShuttingDownError).
 */
import {ClientGoneError, QueueFullError, ShuttingDownError} from "./apiErrors.js";

type Waiting = {key: string | undefined, start: () => void, fail: (err: Error) => void};

export type QueueOptions = {
    /** the most requests a batch runs at once (1: every request runs alone) */
    width?: number,
    /** called when a batch's last request has ended, before anything else starts */
    endBatch?: (key: string) => Promise<void>
};

export class RequestQueue {
    private readonly waiting: Waiting[] = [];
    /** what runs: nothing, one request alone, or a batch of `members` requests with steering `key` */
    private mode: {kind: "idle"} | {kind: "alone"} | {kind: "batch", key: string, members: number} = {kind: "idle"};
    private switching = false;
    private closed = false;
    private idleWaiters: (() => void)[] = [];
    private readonly width: number;

    constructor(readonly maxWaiting: number, private readonly options: QueueOptions = {}) {
        this.width = Math.max(1, Math.floor(options.width ?? 1));
    }

    /** requests waiting for their turn (the running ones not counted) */
    get waitingCount(): number {
        return this.waiting.length;
    }

    get busy(): boolean {
        return this.mode.kind !== "idle" || this.switching;
    }

    /** requests running now */
    get runningCount(): number {
        return this.mode.kind === "batch" ? this.mode.members : this.mode.kind === "alone" ? 1 : 0;
    }

    /**
     * Runs `job` when its turn comes: alone (no `key`), or beside the running requests with the same key. Rejects
     * at once when the queue is full or closed, and with ClientGoneError when `signal` aborts while it waits. A job
     * that started is not stopped here: it reads the signal itself.
     */
    async run<T>(job: () => Promise<T>, signal?: AbortSignal, key?: string): Promise<T> {
        if (this.closed) throw new ShuttingDownError();
        if (signal?.aborted) throw new ClientGoneError();
        if (!this.startNow(key)) {
            if (this.waiting.length >= this.maxWaiting) throw new QueueFullError(this.maxWaiting);
            await new Promise<void>((resolve, reject) => {
                const entry: Waiting = {
                    key,
                    start: () => {
                        signal?.removeEventListener("abort", onAbort);
                        resolve();
                    },
                    fail: (err) => {
                        signal?.removeEventListener("abort", onAbort);
                        reject(err);
                    }
                };
                const onAbort = () => {
                    const index = this.waiting.indexOf(entry);
                    if (index >= 0) this.waiting.splice(index, 1);
                    entry.fail(new ClientGoneError());
                };
                signal?.addEventListener("abort", onAbort, {once: true});
                this.waiting.push(entry);
            });
        }
        // the place is this job's now: taken above, or handed over when one freed up
        try {
            return await job();
        } finally {
            this.release();
        }
    }

    /** Resolves once nothing runs, waits or is being switched (a batch's end included). */
    whenIdle(): Promise<void> {
        if (!this.busy && this.waiting.length === 0) return Promise.resolve();
        return new Promise((resolve) => this.idleWaiters.push(resolve));
    }

    /** Refuses every request waiting now or coming later; the running ones end on their own. */
    close() {
        this.closed = true;
        for (const entry of this.waiting.splice(0)) entry.fail(new ShuttingDownError());
    }

    private startNow(key: string | undefined): boolean {
        if (this.mode.kind === "idle" && !this.switching) {
            this.mode = key == null ? {kind: "alone"} : {kind: "batch", key, members: 1};
            return true;
        }
        // joins the running batch only when nothing waits (what waits goes first: other steering, or a full batch's)
        if (key != null && this.mode.kind === "batch" && this.mode.key === key && this.mode.members < this.width && this.waiting.length === 0) {
            this.mode.members++;
            return true;
        }
        return false;
    }

    private release() {
        const mode = this.mode;
        if (mode.kind === "batch") {
            mode.members--;
            // the requests waiting with its key take the free places, as long as they are first in line
            while (mode.members < this.width && this.waiting[0]?.key === mode.key) {
                mode.members++;
                this.waiting.shift()!.start();
            }
            if (mode.members > 0) return;
            this.mode = {kind: "idle"};
            this.switching = true;
            const ended = this.options.endBatch?.(mode.key) ?? Promise.resolve();
            void ended.catch(() => undefined).finally(() => {
                this.switching = false;
                this.next();
            });
            return;
        }
        this.mode = {kind: "idle"};
        this.next();
    }

    /** Starts what comes next: the first waiting request, with every waiting request of its batch. */
    private next() {
        const head = this.waiting.shift();
        if (head == null) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
            return;
        }
        if (head.key == null) {
            this.mode = {kind: "alone"};
            head.start();
            return;
        }
        const mode = {kind: "batch" as const, key: head.key, members: 1};
        this.mode = mode;
        head.start();
        for (let i = 0; i < this.waiting.length && mode.members < this.width;) {
            if (this.waiting[i]!.key !== head.key) { i++; continue; }
            mode.members++;
            this.waiting.splice(i, 1)[0]!.start();
        }
    }
}
