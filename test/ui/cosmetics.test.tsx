/**
 * Issue 13's cosmetics: /help's columns, the help overlay in a small terminal, long vector names in the panel,
 * notes said while a reply is printed, and the transcript printed again after a resize.
 */
import React from "react";
import {afterEach, describe, expect, it, vi} from "vitest";
import {Box, Static, Text} from "ink";
import {render} from "ink-testing-library";
import {App, CLEAR_TERMINAL, RESIZE_REDRAW_MS} from "../../src/ui/App.js";
import {ChatSession} from "../../src/session/chatSession.js";
import {helpColumns, helpText} from "../../src/ui/commands/helpText.js";
import {COMMANDS} from "../../src/ui/commands/index.js";
import type {SlashCommandSpec} from "../../src/ui/commands/command.js";
import {HELP_CHROME_ROWS, HelpOverlay} from "../../src/ui/components/Overlays.js";
import {MessageView} from "../../src/ui/components/MessageView.js";
import {fitName, SteeringPanel} from "../../src/ui/components/SteeringPanel.js";
import {KEY_HELP, SLASH_COMMAND_HELP} from "../../src/ui/slashCommands.js";
import {SteeringState} from "../../src/steering/steeringState.js";
import {useChat, type ChatState} from "../../src/ui/useChat.js";
import {shownText} from "../../src/ui/chatMessage.js";
import {FakeConversation} from "../helpers/fakeConversation.js";
import {inAct, keys, press, waitForFrame} from "../helpers/ink.js";
import {vectorOf} from "../helpers/steeringTestKit.js";

let cleanup: (() => void) | undefined;
afterEach(() => {
    cleanup?.();
    cleanup = undefined;
    vi.useRealTimers();
});

describe("/help's columns", () => {
    it("never run a name into its description: a long name has its row, descriptions wrap under their column", () => {
        for (const width of [40, 80, 120]) {
            const lines = helpText(COMMANDS as unknown as readonly SlashCommandSpec[], width).split("\n");
            for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(width);
            expect(lines.join("\n")).not.toMatch(/\]save|\]the /); // "[DESC]save", "[control]the"
            // every usage starts a row and is followed by two spaces or the end of its row
            for (const [usage] of [...SLASH_COMMAND_HELP, ...KEY_HELP]) {
                const row = lines.find((l) => l.startsWith(`  ${usage}`));
                expect(row, usage).toBeDefined();
                expect(row!.slice(2 + usage.length), usage).toMatch(/^(?: {2,}\S|$)/);
            }
        }
        expect(helpColumns([["/sweep NAME A..B STEP [control]", "the last prompt"], ["/x", "y"]], 100))
            .toEqual(["/sweep NAME A..B STEP [control]", "                          the last prompt", "/x                        y"]);
    });
});

describe("the help overlay", () => {
    it("at 40×12 shows its title and a window that fits, scrolled with ↓ and PgDn; another key closes it", async () => {
        let closed = false;
        const app = render(<Box width={40}><HelpOverlay columns={40} rows={12} onClose={() => { closed = true; }} /></Box>);
        cleanup = () => app.unmount();
        const first = app.lastFrame()!.split("\n");
        expect(first.length).toBeLessThanOrEqual(12 - HELP_CHROME_ROWS + 4); // the window, its frame, title and footer
        expect(first[1]).toContain("Keys and commands");
        for (const line of first) expect([...line].length).toBeLessThanOrEqual(40);
        expect(first.join("\n")).toMatch(/1-4\/\d+ ↑↓ scroll/);
        await press(app.stdin, keys.down);
        expect(app.lastFrame()).toMatch(/2-5\/\d+/);
        expect(app.lastFrame()!.split("\n")[1]).toContain("Keys and commands");
        await press(app.stdin, "\u001b[6~"); // PgDn
        expect(app.lastFrame()).toMatch(/6-9\/\d+/);
        expect(closed).toBe(false);
        await press(app.stdin, "q");
        expect(closed).toBe(true);
    });

    it("in a tall terminal shows everything and closes on any key", () => {
        const app = render(<HelpOverlay columns={120} rows={100} onClose={() => {}} />);
        cleanup = () => app.unmount();
        expect(app.lastFrame()).toContain("Keys and commands (any key closes)");
        expect(app.lastFrame()).toContain("/exit");
        expect(app.lastFrame()).not.toContain("scroll");
    });
});

describe("long vector names in the panel", () => {
    const entry = (name: string) => ({name, source: `/v/${name}.gguf`, vector: vectorOf(4, [1], () => 1), coefficient: 0.5, enabled: true});
    const long = "a-rather-long-vector-name-x";
    const frame = (columns: number) => {
        const app = render(<Box width={columns}>
            <SteeringPanel state={new SteeringState([entry(long), entry("happy")])} pending={false} focused={false} selected={0} columns={columns} />
        </Box>);
        const f = app.lastFrame()!;
        app.unmount();
        return f;
    };

    it("are shown whole when the row has room, the columns still aligned", () => {
        const rows = frame(120).split("\n").filter((l) => l.includes("["));
        expect(rows[0]).toContain(long);
        expect(rows[0]!.indexOf("[")).toBe(rows[1]!.indexOf("["));
    });

    it("end in … when cut, and the row still fits", () => {
        const f = frame(60);
        expect(f).toMatch(/ {3}a-rather-\S*… \[─{5}┼█─{4}\]/); // a shorter bar first, then the name cut
        expect(frame(40)).toMatch(/ {3}a-rat… \[/); // the shortest name column
        for (const line of f.split("\n")) expect([...line].length, line).toBeLessThanOrEqual(60);
        expect(fitName("happy", 8)).toBe("happy   ");
        expect(fitName("abcdefghij", 6)).toBe("abcde…");
    });
});

/** useChat on a screen of its own: the transcript, the asides and the reply being written */
function ChatProbe({session, out}: {session: ChatSession, out: {chat?: ChatState}}) {
    const chat = useChat(session, {onExit: () => {}});
    out.chat = chat;
    return (
        <Box flexDirection="column">
            <Static items={chat.messages}>{(m) => <MessageView key={m.id} message={m} />}</Static>
            {chat.busy && <Text>{chat.streamingText}</Text>}
            {chat.asides.map((a, i) => <Text key={i}>{a.text}</Text>)}
        </Box>
    );
}

/**
 * the messages' roles, a run of "stream" as one: a reply's finished lines go to the transcript at each flush of the
 * stream timer, so how many pieces they come in depends on when it fires
 */
const roles = (messages: {role: string}[]) => messages.map((m) => m.role).filter((role, i, all) => role !== "stream" || all[i - 1] !== "stream");

describe("notes said while a reply is printed", () => {
    it("wait under the reply being written, then go to the transcript after it, not between the prompt and the reply", async () => {
        const conversation = new FakeConversation();
        conversation.script = {chunks: ["first line\n", "second line\n", "the end"], pauseBefore: 2};
        const out: {chat?: ChatState} = {};
        let app!: ReturnType<typeof render>;
        await inAct(() => { app = render(<ChatProbe session={new ChatSession({conversation, modelName: "m"})} out={out} />); });
        cleanup = () => app.unmount();
        out.chat!.submit("go");
        await waitForFrame(app.lastFrame, (f) => conversation.paused && f.includes("second line"));
        out.chat!.command("/train happy"); // what the panel and the pickers do while busy
        const during = await waitForFrame(app.lastFrame, (f) => f.includes("Busy: /train"));
        expect(during.indexOf("Busy: /train")).toBeGreaterThan(during.indexOf("second line"));
        expect(roles(out.chat!.messages)).toEqual(["user", "stream"]);
        conversation.release();
        await waitForFrame(app.lastFrame, () => !out.chat!.busy);
        expect(roles(out.chat!.messages)).toEqual(["user", "stream", "assistant", "error"]);
        expect(shownText(out.chat!.messages.at(-1)!)).toMatch(/^Busy: \/train waits/);
        expect(out.chat!.asides).toEqual([]);
    });
});

describe("a resize", () => {
    it("once the width rests, clears the screen and prints the transcript again, drawn for the new width", async () => {
        vi.useFakeTimers({toFake: ["setTimeout", "clearTimeout"]});
        const conversation = new FakeConversation("chat");
        conversation.chunkDelayMs = 0;
        conversation.script = {chunks: ["- one two three four five six seven eight nine ten eleven twelve"]};
        let app!: ReturnType<typeof render>;
        await inAct(() => { app = render(<App session={new ChatSession({conversation, modelName: "m"})} />); });
        cleanup = () => app.unmount();
        await press(app.stdin, "go", keys.enter);
        // the reply's pieces wait on (faked) timeouts: vi.waitFor moves the clock on between its checks
        await vi.waitFor(() => expect(app.lastFrame()).toContain("• one two three four five six seven eight nine ten eleven twelve"));

        // each step in act: the resize's render and the effect that sets the redraw timer are done when it returns
        const resize = (columns: number) => inAct(() => {
            Object.defineProperty(app.stdout, "columns", {get: () => columns, configurable: true});
            app.stdout.emit("resize");
        });
        await resize(35);
        await inAct(() => { vi.advanceTimersByTime(RESIZE_REDRAW_MS / 2); });
        await resize(30); // still being dragged: one print, once it rests
        const before = app.frames.length;
        await inAct(() => { vi.advanceTimersByTime(RESIZE_REDRAW_MS / 2); });
        expect(app.frames.slice(before).some((f) => f.startsWith(CLEAR_TERMINAL))).toBe(false);
        await inAct(() => { vi.advanceTimersByTime(RESIZE_REDRAW_MS); });
        const after = app.frames.slice(before);
        expect(after.filter((f) => f.startsWith(CLEAR_TERMINAL))).toHaveLength(1);
        expect(app.lastFrame()).toContain("• one two three four five six\n  seven eight nine ten eleven\n  twelve");
    });
});
