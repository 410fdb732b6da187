import {useEffect, useState} from "react";
import {useStdout} from "ink";

/** The terminal's size, kept up to date on resize (Ink redraws then, but does not re-render components). */
export function useTerminalSize(): {columns: number, rows: number} {
    const {stdout} = useStdout();
    const read = () => ({columns: stdout.columns ?? 100, rows: stdout.rows ?? 24});
    const [size, setSize] = useState(read);
    useEffect(() => {
        const onResize = () => setSize((old) => {
            const next = {columns: stdout.columns ?? 100, rows: stdout.rows ?? 24};
            return next.columns === old.columns && next.rows === old.rows ? old : next;
        });
        stdout.on("resize", onResize);
        return () => { stdout.off("resize", onResize); };
    }, [stdout]);
    return size;
}

/** The terminal's width, kept up to date on resize. */
export function useColumns(): number {
    return useTerminalSize().columns;
}
