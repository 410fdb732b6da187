/**
 * The steering panel's state and keys: which vector is selected, and what ↑/↓, ←/→ (Shift ×5), Space, 0, a and d do
 * (panelKeys.ts, applied to the latest state key by key). Every change goes through the controller, so it is staged
 * for the next turn.
 */
import {useRef, useState, useSyncExternalStore} from "react";
import {useInput} from "ink";
import type {SteeringController} from "../steering/steeringController.js";
import {SteeringState} from "../steering/steeringState.js";
import {clampSelection, keysOf, panelKey} from "./panelKeys.js";

const EMPTY = new SteeringState();

export function useSteeringState(controller: SteeringController | undefined) {
    const state = useSyncExternalStore(
        (listener) => controller?.subscribe(listener) ?? (() => undefined),
        () => controller?.state ?? EMPTY
    );
    const pending = useSyncExternalStore(
        (listener) => controller?.subscribe(listener) ?? (() => undefined),
        () => controller?.hasPendingChanges ?? false
    );
    return {state, pending};
}

export type PanelActions = {
    onAdd: () => void,
    onHelp: () => void,
    onError: (message: string) => void
};

export function useSteeringPanel(controller: SteeringController | undefined, active: boolean, actions: PanelActions) {
    const {state, pending} = useSteeringState(controller);
    // the selection the next key starts from: a ref, so a key that arrives before the re-render of the one before it
    // moves on from where that one left it (panelKeys.ts); the state is only for drawing it
    const selectedRef = useRef(0);
    const [selected, setSelected] = useState(0);

    useInput((input, key) => {
        if (controller == null) return;
        for (const [ch, k] of keysOf(input, key)) {
            // the controller's staged steering is the latest (a change stages it at once), not this render's
            const before = controller.state;
            const {state: after, command} = panelKey({steering: before, selected: selectedRef.current}, ch, k);
            if (after.steering !== before) {
                try {
                    controller.update(() => after.steering);
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
    }, {isActive: active && controller != null});

    return {state, pending, selected: clampSelection(selected, state.entries.length)};
}
