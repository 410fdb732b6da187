/**
 * Whether a reply's text is inside a fenced code block, as CommonMark reads fences, fed the text as it is generated
 * (`--steer-code off` turns the steering off there, so code and tool output are not bent by it).
 *
 * A fence is a line that begins with at most three spaces, then three or more backticks or tildes (a backtick fence's
 * info string may hold no backtick: "```x```" is inline code). The block runs from the line after the opening fence to
 * a line that is a closing fence: at most three spaces, the same character at least as many times, then only spaces
 * or tabs. A fence is known only once its line has ended, so the state changes only at a newline: the opening line's
 * tokens are generated outside the block, the closing line's inside it. Fences inside block quotes or list items are
 * not tracked (they would need the whole block structure); an unclosed block runs to the end of the reply.
 */

/** the characters after which inCode() can change: generation may continue unchanged until one of them */
export const FENCE_BREAK_CHARACTERS = "\n";

const OPENING = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const CLOSING = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

export class CodeFenceTracker {
    private line = "";
    private fence: {char: string, length: number} | undefined;

    /** Adds generated text. */
    feed(text: string) {
        let start = 0;
        for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", start)) {
            this.endLine(this.line + text.slice(start, i));
            this.line = "";
            start = i + 1;
        }
        this.line += text.slice(start);
    }

    /** whether the text so far ends inside a fenced code block (its opening line ended, its closing one has not) */
    inCode(): boolean {
        return this.fence != null;
    }

    private endLine(raw: string) {
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        if (this.fence == null) {
            const m = OPENING.exec(line);
            if (m == null || (m[1]![0] === "`" && m[2]!.includes("`"))) return;
            this.fence = {char: m[1]![0]!, length: m[1]!.length};
            return;
        }
        const m = CLOSING.exec(line);
        if (m != null && m[1]![0] === this.fence.char && m[1]!.length >= this.fence.length) this.fence = undefined;
    }
}

/** Whether `text` (a whole reply) ends inside a fenced code block. */
export function endsInCode(text: string): boolean {
    const tracker = new CodeFenceTracker();
    tracker.feed(text);
    return tracker.inCode();
}
