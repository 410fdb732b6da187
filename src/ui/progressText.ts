/** `[██████░░░░]`: a progress bar as text, `fraction` clamped to 0..1. Pure: the Ink bar, the chat's training
 * line and the CLI's stderr bars all draw it. */
export function progressBarText(fraction: number, width = 30): string {
    const clamped = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
    const filled = Math.round(clamped * width);
    return `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
}
