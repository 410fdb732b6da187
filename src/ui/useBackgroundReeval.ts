/**
 * Under the reeval history policy a steering change costs the next turn a prefill of the history. Once the steering
 * has not changed for `delayMs` and no job runs, the session starts that prefill in the background, so the wait
 * overlaps the user's typing; the next turn (or any command) stops it first and goes on from what it evaluated.
 */
import {useEffect, useRef} from "react";
import type {ChatSession} from "../session/chatSession.js";

export function useBackgroundReeval(session: ChatSession, delayMs: number | undefined, isBusy: () => boolean, onDone: () => void) {
    const done = useRef(onDone);
    done.current = onDone;
    useEffect(() => {
        if (delayMs == null || !session.canSteer) return;
        let timer: NodeJS.Timeout | undefined;
        const unsubscribe = session.subscribeSteering(() => {
            if (timer) clearTimeout(timer);
            timer = setTimeout(() => {
                // a job's own steering changes (/compare, /sweep) are not the user's: it waits for the job to end
                if (!isBusy()) void session.reevaluateInBackground().then(() => done.current());
            }, delayMs);
        });
        return () => {
            unsubscribe();
            if (timer) clearTimeout(timer);
        };
    }, [session, delayMs, isBusy]);
}
