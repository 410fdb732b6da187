/**
 * The chat screen's key router (keyRouter.ts) for its components: the App makes one and reads Ink's keys into it;
 * the prompt, the panel and the overlays take their keys from it. A component drawn without one (the start-up list,
 * a dialog on its own in a test) reads Ink's keys itself, as before.
 */
import {createContext, useContext, useEffect, useRef} from "react";
import {useInput, type Key} from "ink";
import type {BaseHandler, KeyHandler, KeyRouter} from "./keyRouter.js";

export const KeyRouterContext = createContext<KeyRouter | undefined>(undefined);

/**
 * A handler under the overlays on `router` (the App's own shortcuts): added once, it calls the handler and the
 * activity of the latest render, or `isActive()` when that is a function (state kept in a ref, current between renders).
 */
export function useBaseKeys(router: KeyRouter | undefined, handler: BaseHandler, isActive: boolean | (() => boolean) = true) {
    const latest = useRef({handler, isActive});
    latest.current = {handler, isActive};
    useEffect(() => {
        if (router == null) return;
        const active = () => {
            const a = latest.current.isActive;
            return typeof a === "function" ? a() : a;
        };
        return router.addBase({handler: (input, key) => latest.current.handler(input, key), active});
    }, [router]);
}

/**
 * The prompt's or the panel's keys: from the App's router (`given`, for a hook of the App itself, which is outside its
 * own context), or from Ink when there is none.
 */
export function useRoutedInput(handler: BaseHandler, isActive: boolean | (() => boolean) = true, given?: KeyRouter) {
    const router = useContext(KeyRouterContext) ?? given;
    useBaseKeys(router, handler, isActive);
    useInput((input: string, key: Key) => { handler(input, key); },
        {isActive: router == null && (typeof isActive === "function" ? isActive() : isActive)});
}

/**
 * An overlay's keys: from the App's router once this is drawn (with the keys that came before it first), or from Ink
 * when there is none. The handler must keep its state in refs: the waiting keys are handed over one after another
 * before React draws again.
 */
export function useOverlayInput(handler: KeyHandler, isActive = true) {
    const router = useContext(KeyRouterContext);
    const latest = useRef(handler);
    latest.current = handler;
    useEffect(() => {
        if (router == null || !isActive) return;
        return router.attachOverlay((input, key) => latest.current(input, key));
    }, [router, isActive]);
    useInput((input: string, key: Key) => { handler(input, key); }, {isActive: router == null && isActive});
}
