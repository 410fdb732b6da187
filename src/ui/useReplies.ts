/**
 * Replies into the transcript, each with the steering it was made with, and the read-out of each (it runs after the
 * reply is shown, off the main thread; the transcript records it on the reply's message). Keeps the last reply's
 * figures for the status line and the last read-out for the panel and /readout.
 */
import {useCallback, useMemo, useRef, useState} from "react";
import type {Reply} from "../engine/conversation.js";
import {errorMessage} from "../errors.js";
import type {ChatSession, Turn} from "../session/chatSession.js";
import {contextShiftNote} from "../session/transcript.js";
import {describeDecision} from "../steering/conditionGate.js";
import {displayText} from "../displayText.js";
import type {ReplyReadout} from "../steering/replyReadout.js";
import type {CoherenceGauge} from "../steering/coherence.js";
import type {Transcript} from "./useTranscript.js";
import type {ShownRest} from "./commands/command.js";

export function useReplies(session: ChatSession, transcript: Transcript) {
    const [lastReply, setLastReply] = useState<Reply>();
    const [lastReadout, setLastReadout] = useState<ReplyReadout>();
    /** the last steered reply's coherence gauge */
    const [lastGauge, setLastGauge] = useState<CoherenceGauge>();
    const readoutRef = useRef<ReplyReadout | undefined>(undefined);
    const latestId = useRef<number | undefined>(undefined);
    const gaugeFailed = useRef(false);
    const {add, update, note} = transcript;

    const addReply = useCallback((turn: Turn, shown: ShownRest = {}) => {
        const {text, tokens: _tokens, ...stats} = turn.reply;
        if (turn.reply.droppedTurns) note(contextShiftNote(turn.reply.droppedTurns));
        const id = add({role: "assistant", text, ...shown, reply: stats, steering: turn.steering, sampling: turn.sampling,
            ...turn.gate ? {gate: turn.gate} : {}});
        // the condition gate's decision, under each reply it decided (the vector's name escaped as every name is)
        if (turn.gate) note(displayText(describeDecision(turn.gate), 1000));
        latestId.current = id;
        setLastGauge(undefined); // the gauge shown is this reply's, once measured, or none
        setLastReply(turn.reply);
        session.readReply(turn).then((readout) => {
            if (readout == null) return;
            readoutRef.current = readout;
            setLastReadout(readout);
            update(id, (m) => ({...m, readout: Object.fromEntries(readout.vectors.map((v) => [v.name, v.z]))}));
        }, (err) => note(`Read-out failed: ${errorMessage(err)}`, "error"));
        if (gaugeFailed.current) return;
        session.measure(turn).then((gauge) => {
            if (gauge == null) return;
            if (latestId.current === id) setLastGauge(gauge); // a late gauge does not stand for a newer reply
            update(id, (m) => ({...m, gauge}));
        }, (err) => {
            gaugeFailed.current = true; // said once: it would fail the same way for every reply
            note(`The coherence gauge is off for this session: ${errorMessage(err)}`, "error");
        });
    }, [session, add, update, note]);

    const actions = useMemo(() => ({
        addReply,
        clearLastReply: () => {
            setLastReply(undefined);
            setLastGauge(undefined);
        },
        lastReadout: () => readoutRef.current
    }), [addReply]);
    return {lastReply, lastReadoutState: lastReadout, lastGauge, ...actions};
}
