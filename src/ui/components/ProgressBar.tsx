import React from "react";
import {Text} from "ink";
import {progressBarText} from "../progressText.js";

/** A text progress bar: `[██████░░░░] 60% label`. */
export function ProgressBar({fraction, label, width = 30}: {fraction: number, label?: string, width?: number}) {
    const clamped = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
    return <Text>{progressBarText(clamped, width)} {Math.round(clamped * 100)}%{label ? ` ${label}` : ""}</Text>;
}
