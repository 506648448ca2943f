// Side-by-side: llama.cpp (through node-llama-cpp, a benchmarking peer only) against rsd, same GGUF file,
// plain greedy decoding, same thread count, runs alternating. Usage (from the repository root):
//   npm --prefix bench install
//   node bench/compare.mjs --model FILE [--tokens 128] [--rounds 3] [--threads 2] [--costs] [--repeats 5]
// Prints each run, then the medians: llama.cpp tok/s, rsd tok/s, their ratio, and with --costs the cost of a
// forward over T = 2, 4, 8 tokens relative to one token for both (256 tokens already in the cache).
// Decode rates exclude the prompt (the clock starts at the first generated token); both engines must produce
// exactly --tokens tokens from the same prompt ids, or the script stops with exit code 2.
import {execFileSync} from "node:child_process";
import {dirname, join, resolve} from "node:path";
import {availableParallelism, tmpdir} from "node:os";
import {fileURLToPath} from "node:url";
import {existsSync, mkdtempSync, readFileSync, rmSync} from "node:fs";
import {getLlama} from "node-llama-cpp";

const args = process.argv.slice(2);
function opt(name, def) {
    const i = args.indexOf("--" + name);
    return i >= 0 ? args[i + 1] : def;
}
const model = opt("model");
if (!model || !existsSync(model)) {
    console.error("compare: --model FILE is required and must exist" + (model ? ": " + model : ""));
    process.exit(2);
}
const tokens = Number(opt("tokens", "128"));
const rounds = Number(opt("rounds", "3"));
const threads = Number(opt("threads", "2"));
const repeats = Number(opt("repeats", "5"));
const costs = args.includes("--costs");
for (const [name, v, min] of [["tokens", tokens, 2], ["rounds", rounds, 1], ["threads", threads, 1], ["repeats", repeats, 1]]) {
    if (!Number.isInteger(v) || v < min) {
        fail(`--${name} must be an integer >= ${min}, got ${opt(name)}`);
    }
}
const rsd = resolve(dirname(fileURLToPath(import.meta.url)), "..", "rsd");
const SIZES = [1, 2, 4, 8];
const POSITION = 256;

function fail(message) {
    console.error("compare: " + message);
    process.exit(2);
}

const median = v => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// maxThreads caps node-llama-cpp's thread splitter (its default on a 2-core machine is 4); min = ideal keeps
// the splitter from handing an evaluation fewer threads than asked. currentThreads is checked after each run.
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: threads});
const lm = await llama.loadModel({modelPath: model, gpuLayers: 0});
const context = await lm.createContext({contextSize: 1024, threads: {ideal: threads, min: threads}, batchSize: 512, sequences: 1});
console.log(`llama.cpp: node-llama-cpp ${llama.buildType} binary, llama.cpp ${llama.llamaCppRelease.release}, ` +
    `${context.idealThreads} thread(s); ${llama.systemInfo.trim()}`);
if (llama.buildType !== "prebuilt") {
    console.log("warning: llama.cpp is not node-llama-cpp's prebuilt binary but a local build (" + llama.buildType + ")");
}
if (threads >= availableParallelism()) {
    // Seen on a 2-core machine: the embedded 17 M-parameter model decodes at 1.0 ms/token with 1 thread and
    // 8-20 ms/token with 2. ggml's worker thread spin-waits between forwards while node's own threads
    // (JavaScript, the sampling and decode calls) need a core, so every token waits for the scheduler.
    console.log(`warning: --threads ${threads} uses every core (${availableParallelism()}); llama.cpp's figures then include ` +
        "node-llama-cpp's thread contention: compare with --threads " + Math.max(1, availableParallelism() - 1));
}
// The same prompt ids for both engines: BOS then the text's tokens (rsd prefills them the same way).
const prompt = [lm.tokens.bos, ...lm.tokenize("hello")].filter(t => t != null);

// Decode speed excludes the prompt: the clock starts when the first generated token arrives, so both rates
// are (tokens - 1) one-token forwards (each with its greedy pick) over their wall time.
function decodeStats(stepMs) {
    const ms = stepMs.slice(1);
    const sum = ms.reduce((a, b) => a + b, 0);
    return {tokens: stepMs.length, tps: ms.length / (sum / 1000), medianMs: median(ms)};
}

async function llamaDecode() {
    const seq = context.getSequence();
    const stepMs = [];
    let last = process.hrtime.bigint();
    // greedy; yieldEogToken keeps an end-of-generation token from ending the loop early (random weights
    // can produce one), so that llama.cpp always decodes exactly `tokens` tokens
    for await (const t of seq.evaluate(prompt, {temperature: 0, yieldEogToken: true})) {
        const now = process.hrtime.bigint();
        stepMs.push(Number(now - last) / 1e6);
        last = now;
        if (stepMs.length >= tokens) break;
    }
    const used = context.currentThreads;
    seq.dispose();
    if (stepMs.length !== tokens) {
        fail(`llama.cpp produced ${stepMs.length} tokens instead of ${tokens}`);
    }
    if (used !== threads) {
        fail(`llama.cpp ran with ${used} threads instead of ${threads}`);
    }
    return decodeStats(stepMs);
}

// A forward over T tokens with the logits of every token computed, as verifying T guesses needs (rsd's
// bench-engine does the same). evaluateWithoutGeneratingNewTokens would ask for no logits at all, and
// llama.cpp then skips the output layer (128256 x 2048 weights on a Llama-3.2-1B), so its T=1 would be
// cheaper than a decoding step and its ratios would not compare with rsd's.
const forwardAll = (seq, batch) => seq.controlledEvaluate(batch.map(t => [t, {generateNext: {token: true}}]));

async function llamaCosts() {
    const seq = context.getSequence();
    const ids = n => Array.from({length: n}, (_, i) => 32 + ((i * 7919) % 90));
    await seq.evaluateWithoutGeneratingNewTokens(ids(POSITION));
    const ms = {};
    for (const T of SIZES) {
        const batch = ids(T);
        for (let w = 0; w < 2; w++) { // warm-up of this size
            await forwardAll(seq, batch);
            await seq.eraseContextTokenRanges([{start: POSITION, end: POSITION + T}]);
        }
        const times = [];
        for (let r = 0; r < repeats; r++) {
            const t0 = process.hrtime.bigint();
            await forwardAll(seq, batch);
            times.push(Number(process.hrtime.bigint() - t0) / 1e6);
            await seq.eraseContextTokenRanges([{start: POSITION, end: POSITION + T}]);
            if (seq.nextTokenIndex !== POSITION) {
                fail(`llama.cpp's cache holds ${seq.nextTokenIndex} tokens after erasing the batch, not ${POSITION}`);
            }
        }
        ms[T] = median(times);
    }
    seq.dispose();
    return ms;
}

function rsdJson(argv) {
    let out;
    try {
        out = execFileSync(rsd, argv, {encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26});
    } catch (e) {
        const why = String(e.stderr || e.message).trim().split("\n").filter(l => !l.startsWith("WARNING")).pop();
        fail(`rsd ${argv[0]} failed: ${why}`);
    }
    const lines = out.trim().split("\n");
    return JSON.parse(lines[lines.length - 1]);
}

const trace = join(mkdtempSync(join(tmpdir(), "rsd-compare-")), "trace.jsonl");
function rsdDecode() {
    const r = rsdJson(["generate", "--model", model, "--mode", "standard", "--max-tokens", String(tokens),
        "--prompt", "hello", "--threads", String(threads), "--json", "--trace", trace]);
    // rsd stops at an end-of-generation token and has no switch to ignore it: a short run is an error here
    if (r.total_tokens !== tokens) {
        fail(`rsd produced ${r.total_tokens} tokens instead of ${tokens} (stop: ${r.stop_reason})`);
    }
    const lines = readFileSync(trace, "utf8").trim().split("\n").map(l => JSON.parse(l));
    const head = lines[0];
    if (JSON.stringify(head.prompt_ids) !== JSON.stringify(prompt)) {
        fail(`the engines see different prompts: llama.cpp ${JSON.stringify(prompt)}, rsd ${JSON.stringify(head.prompt_ids)}`);
    }
    // standard mode: one step = one forward = one token; a step's time includes its greedy pick
    return decodeStats(lines.filter(l => l.type === "step").map(l => l.ms));
}
const rsdCosts = () => rsdJson(["bench-engine", "--model", model, "--threads", String(threads), "--repeats", String(repeats),
    "--position", String(POSITION), "--bandwidth-mib", "64", "--json", "-"]).forward_ms;

// One untimed decode first: llama.cpp's first forward after loading pays for faulting the weights in and
// repacking them (about ten forwards' time), which no later round pays. rsd runs a fresh JVM every round;
// its model load is outside its figure, its JIT warm-up inside (that is what a user of the CLI gets).
await llamaDecode();
const lt = [], rt = [];
const fmtRun = d => `${d.tps.toFixed(2)} tok/s (median ${d.medianMs.toFixed(1)} ms/token)`;
for (let r = 0; r < rounds; r++) {
    // alternate which engine goes first, so that neither always runs on a machine warmed by the other
    if (r % 2 === 0) { lt.push(await llamaDecode()); rt.push(rsdDecode()); }
    else { rt.push(rsdDecode()); lt.push(await llamaDecode()); }
    console.log(`round ${r + 1}: llama.cpp ${fmtRun(lt[r])}, rsd ${fmtRun(rt[r])}, ratio ${(rt[r].tps / lt[r].tps).toFixed(3)}`);
}
const lm_ = median(lt.map(d => d.tps)), rm = median(rt.map(d => d.tps));
console.log(`decode (median of ${rounds} rounds, ${tokens} tokens greedy, prompt excluded, ${threads} thread(s)): ` +
    `llama.cpp ${lm_.toFixed(2)} tok/s, rsd ${rm.toFixed(2)} tok/s, rsd/llama.cpp ${(rm / lm_).toFixed(3)}x`);

if (costs) {
    const lc = await llamaCosts();
    const rc = rsdCosts();
    const fmt = ms => SIZES.map(T => `T=${T} ${Number(ms[T]).toFixed(1)} ms` + (T > 1 ? ` (${(ms[T] / ms[1]).toFixed(2)})` : "")).join(", ");
    console.log(`llama.cpp forward at position ${POSITION}: ${fmt(lc)}`);
    console.log(`rsd       forward at position ${POSITION}: ${fmt(rc)}`);
    console.log("(both compute the logits of every token of the batch, as verification needs; medians of " + repeats + ")");
}
rmSync(dirname(trace), {recursive: true, force: true});
await context.dispose();
await lm.dispose();
