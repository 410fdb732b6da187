/**
 * The one owner of SIGINT (Ctrl+C outside the chat, whose raw-mode input reads Ctrl+C as a key) for the process.
 * Libraries hook SIGINT too, and together they killed it: conf → atomically → when-exit re-raises the signal after
 * its cleanup, and signal-exit@3 (from Ink and proper-lockfile) then takes the default action, so the Ctrl+C meant
 * to stop a training or a reply ended the process with exit 130. Here their SIGINT listeners are dropped (their
 * cleanup still runs on exit), the first Ctrl+C calls the innermost handler (stop the reply, cancel the training),
 * and Ctrl+C with no handler, or again while the first is being handled, exits with 130.
 */
export const EXIT_INTERRUPTED = 130;

type Entry = {handler: () => void, called: boolean};
const entries: Entry[] = [];

function onSigint() {
    const entry = entries.at(-1);
    if (entry == null || entry.called) process.exit(EXIT_INTERRUPTED);
    entry.called = true;
    entry.handler();
}

/** Makes this module the only SIGINT listener; listeners that libraries added since the last call are removed. */
export function ownInterrupts() {
    for (const listener of process.rawListeners("SIGINT")) if (listener !== onSigint) process.removeListener("SIGINT", listener as () => void);
    if (!process.listeners("SIGINT").includes(onSigint)) process.on("SIGINT", onSigint);
}

/** Calls `handler` on the next Ctrl+C (instead of exiting) until the returned function is called. */
export function onInterrupt(handler: () => void): () => void {
    ownInterrupts();
    const entry: Entry = {handler, called: false};
    entries.push(entry);
    return () => {
        const index = entries.indexOf(entry);
        if (index >= 0) entries.splice(index, 1);
    };
}

const ignoreFileSizeSignal = () => undefined;

/**
 * Keeps SIGXFSZ harmless: Node ignores it, so a write past `ulimit -f` fails with EFBIG and is reported in one line
 * naming the file (or a cache is skipped). signal-exit@3 (from Ink) hooks it too and re-raises it when it is the only
 * listener, which ended the process (exit 153) at the first cache write past the limit. A listener of ours stops that.
 */
export function keepFileSizeSignalHarmless() {
    if (!process.listeners("SIGXFSZ").includes(ignoreFileSizeSignal)) process.on("SIGXFSZ", ignoreFileSizeSignal);
}
