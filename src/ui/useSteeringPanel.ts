/**
 * The steering panel's state and keys: which vector is selected, and what ↑/↓, ←/→ (Shift ×5), Space, 0, a and d do
 * (panelKeys.ts, a pure reducer applied to the latest state key by key). Each change the reducer makes is handed to
 * the session (ChatSession.stage, which every steering change goes through), so it is checked once and staged for the
 * next turn.
 */
import {useRef, useState, useSyncExternalStore} from "react";
import {useInput} from "ink";
import type {ChatSession} from "../session/chatSession.js";
import {SteeringState} from "../steering/steeringState.js";
import {clampSelection, keysOf, panelKey} from "./panelKeys.js";

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

export function useSteeringPanel(session: ChatSession, active: boolean, actions: PanelActions) {
    const {state, pending} = useSteeringState(session);
    // the selection the next key starts from: a ref, so a key that arrives before the re-render of the one before it
    // moves on from where that one left it (panelKeys.ts); the state is only for drawing it
    const selectedRef = useRef(0);
    const [selected, setSelected] = useState(0);

    useInput((input, key) => {
        for (const [ch, k] of keysOf(input, key)) {
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
            // the rest of this text (typed with the a or ?) was for the overlay that opens; keys that come as inputs of
            // their own after it (an arrow) still reach the panel until the overlay is drawn and takes the keyboard
            if (command === "add") return actions.onAdd();
            if (command === "help") return actions.onHelp();
        }
    }, {isActive: active && session.canSteer});

    return {state, pending, selected: clampSelection(selected, state.entries.length)};
}
