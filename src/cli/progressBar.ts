/** A one-line progress bar on stderr (redrawn in place; only when stderr is a terminal, so logs stay clean). */
export function stderrProgressBar(err: NodeJS.WriteStream, label: string, unit: string) {
    let drawn = false;
    return {
        update(done: number, total: number) {
            if (!err.isTTY) return;
            const width = 30;
            // clamped: a download of unknown size reports a total of 0
            const filled = Math.max(0, Math.min(width, Math.round((done / Math.max(1, total)) * width)));
            err.write(`\r${label} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ${done}/${total} ${unit}`);
            drawn = true;
        },
        /** ends the line, if one was drawn */
        end() {
            if (drawn) err.write("\n");
            drawn = false;
        }
    };
}
