/**
 * A check that runs once the chat is shown (the check that steering acts on the model, see
 * steering/steeringActsCheck.ts): the prompt does not wait for it, and what it finds comes as a note when it
 * finishes (held under a reply being written, as every note is). Nothing is said when it finds nothing.
 */
import {useEffect} from "react";

export type StartupCheck = () => Promise<string | undefined>;

export function useStartupCheck(check: StartupCheck | undefined, note: (text: string, role?: "note" | "error") => void) {
    useEffect(() => {
        if (check == null) return;
        let shown = true;
        check().then((warning) => { if (shown && warning) note(warning, "error"); }, () => undefined);
        return () => { shown = false; };
    }, [check, note]);
}
