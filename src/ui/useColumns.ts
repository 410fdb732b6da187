import {useEffect, useState} from "react";
import {useStdout} from "ink";

/** The terminal's width, kept up to date on resize (Ink redraws then, but does not re-render components). */
export function useColumns(): number {
    const {stdout} = useStdout();
    const [columns, setColumns] = useState(stdout.columns ?? 100);
    useEffect(() => {
        const onResize = () => setColumns(stdout.columns ?? 100);
        stdout.on("resize", onResize);
        return () => { stdout.off("resize", onResize); };
    }, [stdout]);
    return columns;
}
