/**
 * Replies onto the screen: each is the session's record (its transcript entry, with the steering it was made with),
 * and its read-out and gauge run after it is shown (off the main thread; the session records them on the entry).
 * Keeps the last reply's figures for the status line and the last read-out for the panel and /readout.
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
import type {ShownRest} from "./chatMessage.js";
import type {Transcript} from "./useTranscript.js";

export function useReplies(session: ChatSession, transcript: Transcript) {
    const [lastReply, setLastReply] = useState<Reply>();
    const [lastReadout, setLastReadout] = useState<ReplyReadout>();
    /** the last steered reply's coherence gauge */
    const [lastGauge, setLastGauge] = useState<CoherenceGauge>();
    const readoutRef = useRef<ReplyReadout | undefined>(undefined);
    const latestId = useRef<number | undefined>(undefined);
    const gaugeFailed = useRef(false);
    const {add, note} = transcript;

    const addReply = useCallback((turn: Turn, shown: ShownRest = {}) => {
        if (turn.reply.droppedTurns) note(contextShiftNote(turn.reply.droppedTurns));
        add({role: "assistant", reply: turn.entry, ...shown});
        const id = turn.entry.id;
        // the condition gate's decision, under each reply it decided (the vector's name escaped as every name is)
        if (turn.gate) note(displayText(describeDecision(turn.gate), 1000));
        latestId.current = id;
        setLastGauge(undefined); // the gauge shown is this reply's, once measured, or none
        setLastReply(turn.reply);
        session.readReply(turn).then((readout) => {
            if (readout == null) return;
            readoutRef.current = readout;
            setLastReadout(readout);
        }, (err) => note(`Read-out failed: ${errorMessage(err)}`, "error"));
        if (gaugeFailed.current) return;
        session.measure(turn).then((gauge) => {
            if (gauge != null && latestId.current === id) setLastGauge(gauge); // a late gauge does not stand for a newer reply
        }, (err) => {
            gaugeFailed.current = true; // said once: it would fail the same way for every reply
            note(`The coherence gauge is off for this session: ${errorMessage(err)}`, "error");
        });
    }, [session, add, note]);

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
