/**
 * The one context runs one request at a time: a control vector belongs to the whole llama.cpp context, so two
 * requests with different steering must never share a decode. Requests wait here in arrival order; at most
 * `maxWaiting` wait (one more is refused with QueueFullError), a waiting request whose client goes away is dropped
 * without running, and closing the queue refuses everything that waits or comes later (ShuttingDownError).
 */
import {ClientGoneError, QueueFullError, ShuttingDownError} from "./apiErrors.js";

type Waiting = {start: () => void, fail: (err: Error) => void};

export class RequestQueue {
    private readonly waiting: Waiting[] = [];
    private running = false;
    private closed = false;

    constructor(readonly maxWaiting: number) {}

    /** requests waiting for their turn (the running one not counted) */
    get waitingCount(): number {
        return this.waiting.length;
    }

    get busy(): boolean {
        return this.running;
    }

    /**
     * Runs `job` when its turn comes; rejects at once when the queue is full or closed, and with ClientGoneError
     * when `signal` aborts while it waits. A job that started is not stopped here: it reads the signal itself.
     */
    async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
        if (this.closed) throw new ShuttingDownError();
        if (signal?.aborted) throw new ClientGoneError();
        if (!this.running) this.running = true;
        else {
            if (this.waiting.length >= this.maxWaiting) throw new QueueFullError(this.maxWaiting);
            await new Promise<void>((resolve, reject) => {
                const entry: Waiting = {
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
        // the slot is this job's now: taken above, or handed over by the job before it
        try {
            return await job();
        } finally {
            const next = this.waiting.shift();
            if (next != null) next.start();
            else this.running = false;
        }
    }

    /** Refuses every request waiting now or coming later; the running one ends on its own. */
    close() {
        this.closed = true;
        for (const entry of this.waiting.splice(0)) entry.fail(new ShuttingDownError());
    }
}
