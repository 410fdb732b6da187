/**
 * Where every key of the chat screen goes, decided key by key at the moment it arrives (issue 26: keys that arrive
 * in one burst act one after another on fresh state). Ink hands the keys of one read to the listeners there are at
 * that moment, and a component starts listening in an effect after it is drawn: an overlay opened by a key (Ctrl+S,
 * Ctrl+P, `a`, `?`, F1) missed the keys that came with it, which went on to the prompt instead (Ctrl+S, `mine`, Enter
 * sent "mine" as a message). Here the App's one input hands each key to the router, which exists before any overlay:
 * - while an overlay is open, its keys go to it alone; keys that come before it is drawn wait in a queue, which it
 *   drains, in order, when it starts listening (the vector picker once its folders are read);
 * - otherwise the keys go to the handlers under it (the app's shortcuts, the prompt, the panel); the key that opens an
 *   overlay goes no further, and the rest of its text (`a0` typed together in the panel) is the overlay's;
 * - an overlay that closes part-way through its queue hands the keys after that one back to the handlers under it.
 * Opening and closing are recorded here at once, not when React draws them. Pure: no Ink, no React.
 */
import type {Key} from "ink";

export type RoutedKey = readonly [input: string, key: Partial<Key>];

/** an overlay's keys */
export type KeyHandler = (input: string, key: Partial<Key>) => void;

/**
 * A handler under the overlays. When a key opens an overlay, it returns the keys of the same input it did not take
 * (the text typed after the `a` that opened the picker): they are the overlay's.
 */
export type BaseHandler = (input: string, key: Partial<Key>) => readonly RoutedKey[] | void;

export type BaseEntry = {handler: BaseHandler, active: () => boolean};

type OpenOverlay = {handler?: KeyHandler, queue: RoutedKey[]};

/** a key Ink gives no name or text (F1-F12): the F1 that opened the help must not close it */
const unnamed = (input: string, key: Partial<Key>) => input === "" && !Object.values(key).some((v) => v === true);

export class KeyRouter {
    private readonly base = new Set<BaseEntry>();
    private overlay: OpenOverlay | undefined;

    get overlayOpen(): boolean {
        return this.overlay != null;
    }

    /** an overlay opens: from now on keys are its (queued until it listens) */
    openOverlay(): void {
        this.overlay ??= {queue: []};
    }

    /** the overlay closed: keys go to the handlers under it again (what it had queued and not read is dropped) */
    closeOverlay(): void {
        this.overlay = undefined;
    }

    /** a handler under the overlays, asked in the order they were added while `active()` says so; returns its removal */
    addBase(entry: BaseEntry): () => void {
        this.base.add(entry);
        return () => { this.base.delete(entry); };
    }

    /**
     * The open overlay starts listening: the keys that waited are handed to it first, in order. Returns its removal.
     * An overlay drawn after it was closed (by a key React has not drawn yet) gets nothing.
     */
    attachOverlay(handler: KeyHandler): () => void {
        const overlay = this.overlay;
        if (overlay == null || overlay.handler != null) return () => undefined;
        overlay.handler = handler;
        while (overlay.queue.length > 0 && this.overlay === overlay) {
            const [input, key] = overlay.queue.shift()!;
            handler(input, key);
        }
        // it closed part-way: the keys after the one that closed it go where they would have gone
        for (const [input, key] of overlay.queue.splice(0)) this.dispatch(input, key);
        return () => {
            if (overlay.handler === handler) overlay.handler = undefined;
        };
    }

    /** one key, as Ink reads it */
    dispatch(input: string, key: Partial<Key>): void {
        if (this.overlay != null) return this.toOverlay(input, key);
        for (const entry of [...this.base]) {
            if (!this.base.has(entry) || !entry.active()) continue;
            const rest = entry.handler(input, key);
            if (this.overlay != null) {
                for (const [i, k] of rest ?? []) this.toOverlay(i, k);
                return;
            }
        }
    }

    private toOverlay(input: string, key: Partial<Key>): void {
        const overlay = this.overlay!;
        if (unnamed(input, key)) return;
        if (overlay.handler != null) overlay.handler(input, key);
        else overlay.queue.push([input, key]);
    }
}
