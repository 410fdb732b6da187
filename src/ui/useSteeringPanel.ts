/**
 * The steering panel's state and keys: which vector is selected, and what ↑/↓, ←/→ (Shift ×5), Space, 0, a and d do
 * (panelKeys.ts, a pure reducer applied to the latest state key by key). Each change the reducer makes is handed to
 * the session (ChatSession.stage, which every steering change goes through), so it is checked once and staged for the
 * next turn.
 */
import {useRef, useState, useSyncExternalStore} from "react";
import type {ChatSession} from "../session/chatSession.js";
import {SteeringState} from "../steering/steeringState.js";
import {clampSelection, keysOf, panelKey} from "./panelKeys.js";
import {useRoutedInput} from "./useKeyRouter.js";
import type {KeyRouter} from "./keyRouter.js";

const EMPTY = new SteeringState();

/** the session's staged steering and whether it differs from the applied one, redrawn on each change */
export function useSteeringState(session: ChatSession) {
    const subscribe = (listener: () => void) => session.subscribeSteering(listener);
    const state = useSyncExternalStore(subscribe, () => session.steeringState ?? EMPTY);
    const pending = useSyncExternalStore(subscribe, () => session.hasPendingSteering);
    return {state, pending};
}

export type PanelActions = {
    onAdd: () => void,
    onHelp: () => void,
    onError: (message: string) => void
};

/** `active`: whether keys are the panel's (a function: the chat's focus, kept current between renders) */
export function useSteeringPanel(session: ChatSession, active: boolean | (() => boolean), actions: PanelActions, router?: KeyRouter) {
    const {state, pending} = useSteeringState(session);
    // the selection the next key starts from: a ref, so a key that arrives before the re-render of the one before it
    // moves on from where that one left it (panelKeys.ts); the state is only for drawing it
    const selectedRef = useRef(0);
    const [selected, setSelected] = useState(0);

    useRoutedInput((input, key) => {
        const keys = keysOf(input, key);
        for (const [i, [ch, k]] of keys.entries()) {
            // the session's staged steering is the latest (a change stages it at once), not this render's
            const before = session.steeringState;
            if (before == null) return;
            const {state: after, command} = panelKey({steering: before, selected: selectedRef.current}, ch, k);
            if (after.steering !== before) {
                try {
                    session.stage(() => after.steering);
                } catch (err) {
                    actions.onError((err as Error).message);
                }
            }
            selectedRef.current = after.selected;
            setSelected(after.selected);
            // the rest of this text (typed with the a or ?) is for the overlay that opens (keyRouter.ts hands it over)
            if (command === "add") actions.onAdd();
            if (command === "help") actions.onHelp();
            if (command != null) return keys.slice(i + 1);
        }
    }, () => (typeof active === "function" ? active() : active) && session.canSteer, router);

    return {state, pending, selected: clampSelection(selected, state.entries.length)};
}
