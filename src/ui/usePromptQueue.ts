/** Prompts typed while a job runs (or while earlier ones still wait) are sent in order once it ends. */
import {useCallback, useEffect, useRef, useState} from "react";

export function usePromptQueue(busy: boolean, isBusy: () => boolean, send: (input: string) => void) {
    const [queued, setQueued] = useState<string[]>([]);
    const ref = useRef<string[]>([]);
    const submit = useCallback((input: string) => {
        if (input.trim() === "") return;
        if (isBusy() || ref.current.length > 0) {
            ref.current = [...ref.current, input];
            setQueued(ref.current);
            return;
        }
        send(input);
    }, [isBusy, send]);
    // the job ended: the next queued prompt goes (a command that is not a job lets the one after it go at once)
    useEffect(() => {
        if (busy || ref.current.length === 0) return;
        const [next, ...rest] = ref.current;
        ref.current = rest;
        setQueued(rest);
        send(next!);
    }, [busy, queued, send]);
    return {queued, submit};
}
