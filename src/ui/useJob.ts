/**
 * The chat's one job at a time: a reply, a training or a trial (/compare, /sweep). While it runs the chat is busy
 * with its label, Esc aborts its signal, and an error ends it as a note. The busy flag is also kept in a ref, set
 * before the work starts, so a second job typed in the same tick is refused rather than run under the first.
 */
import {useCallback, useEffect, useMemo, useRef, useState} from "react";
import type {JobKind} from "./commands/command.js";

export type JobState = {kind: "idle"} | {kind: JobKind, label: string};

export function useJob({onError, onEnd}: {onError: (err: unknown) => void, onEnd: () => void}) {
    const [job, setJob] = useState<JobState>({kind: "idle"});
    const busyRef = useRef(false);
    const abortRef = useRef<AbortController | undefined>(undefined);
    useEffect(() => () => abortRef.current?.abort(), []);

    const run = useCallback(async (kind: JobKind, label: string, work: (signal: AbortSignal) => Promise<void>) => {
        const controller = new AbortController();
        abortRef.current = controller;
        busyRef.current = true;
        setJob({kind, label});
        try {
            await work(controller.signal);
        } catch (err) {
            onError(err);
        } finally {
            busyRef.current = false;
            abortRef.current = undefined;
            setJob({kind: "idle"});
            onEnd();
        }
    }, [onError, onEnd]);

    const actions = useMemo(() => ({run, isBusy: () => busyRef.current, stop: () => abortRef.current?.abort()}), [run]);
    return {job, ...actions};
}
