/**
 * F1 anywhere (prompt or panel). Ink's useInput reports function keys as empty input with no flag, so this listens
 * to the raw key sequences Ink already reads from stdin (its input event; nothing else reads stdin).
 */
import {useEffect, useRef} from "react";
import {useStdin} from "ink";

// xterm/VT100 (ESC O P), rxvt and VT220-style (ESC [ 11 ~), the Linux console (ESC [ [ A)
const F1_SEQUENCES = new Set(["\u001bOP", "\u001b[11~", "\u001b[[A"]);

export function useHelpKey(onHelp: () => void, isActive: boolean) {
    const {internal_eventEmitter: events} = useStdin();
    const handler = useRef(onHelp);
    handler.current = onHelp;
    useEffect(() => {
        if (!isActive || events == null) return;
        const listener = (data: string | Buffer) => {
            if (F1_SEQUENCES.has(String(data))) handler.current();
        };
        events.on("input", listener);
        return () => { events.removeListener("input", listener); };
    }, [events, isActive]);
}
