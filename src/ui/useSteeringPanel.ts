/**
 * The steering panel's state and keys: which vector is selected, and what ↑/↓, ←/→ (Shift ×5), Space, 0, a and d do.
 * Every change goes through the controller, so it is staged for the next turn.
 */
import {useEffect, useState, useSyncExternalStore} from "react";
import {useInput} from "ink";
import type {SteeringController} from "../steering/steeringController.js";
import {MAX_COEFFICIENT, SteeringState} from "../steering/steeringState.js";

export const COEFFICIENT_STEP = 0.1;
export const SHIFT_MULTIPLIER = 5;

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
    const [selected, setSelected] = useState(0);
    useEffect(() => {
        if (selected >= state.entries.length && state.entries.length > 0) setSelected(state.entries.length - 1);
    }, [state.entries.length, selected]);

    useInput((input, key) => {
        if (controller == null) return;
        const entry = state.entries[selected];
        const change = (fn: (s: SteeringState) => SteeringState) => {
            try {
                controller.update(fn);
            } catch (err) {
                actions.onError((err as Error).message);
            }
        };
        if (input === "?") actions.onHelp();
        else if (input === "a") actions.onAdd();
        else if (entry == null) return;
        else if (key.upArrow) setSelected((i) => Math.max(0, i - 1));
        else if (key.downArrow) setSelected((i) => Math.min(state.entries.length - 1, i + 1));
        else if (key.leftArrow || key.rightArrow) {
            const step = COEFFICIENT_STEP * (key.shift ? SHIFT_MULTIPLIER : 1) * (key.leftArrow ? -1 : 1);
            // the arrows stop at the vector's calibrated range (/calibrate), else at the coefficient bound
            const {min, max} = entry.range ?? {min: -MAX_COEFFICIENT, max: MAX_COEFFICIENT};
            const value = Math.max(Math.min(min, entry.coefficient), Math.min(Math.max(max, entry.coefficient), entry.coefficient + step));
            change((s) => s.setCoefficient(entry.name, value));
        } else if (input === " ") change((s) => s.setEnabled(entry.name, !entry.enabled));
        else if (input === "0") change((s) => s.setCoefficient(entry.name, 0));
        else if (input === "d") change((s) => s.remove(entry.name));
    }, {isActive: active && controller != null});

    return {state, pending, selected};
}
