/**
 * An MNIST-style CNN on procedurally drawn digits: no download. Each digit is drawn from strokes
 * (seven-segment shapes with slant, scale, shift, stroke width and noise varying per sample) on a
 * 16×16 canvas; a two-block CNN learns to read them.
 *
 *   npx gradlens trace examples/cnn-digits.ts --out cnn.html   → the loss falling, per-layer gradients
 *   node -r ./test/support/register.cjs examples/cnn-digits.ts   → prints the test accuracy
 */
import { DataLoader, manualSeed, nn, noGrad, optim, tensor, Tensor, TensorDataset } from "gradlens";

export const SIZE = 16;

/** Segments a (top), b, c (right), d (bottom), e, f (left), g (middle) as line ends in a unit box. */
const SEGMENTS: Record<string, [number, number, number, number]> = {
  a: [0, 0, 1, 0], b: [1, 0, 1, 0.5], c: [1, 0.5, 1, 1], d: [0, 1, 1, 1], e: [0, 0.5, 0, 1], f: [0, 0, 0, 0.5], g: [0, 0.5, 1, 0.5],
};
const DIGITS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg"];

/** A small seeded generator for the data, apart from the engine's (which initialises the model). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function distanceToSegment(px: number, py: number, x0: number, y0: number, x1: number, y1: number): number {
  const dx = x1 - x0, dy = y1 - y0;
  const t = Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

/** One digit drawn at random: strokes placed by a random slant, size and position, anti-aliased, plus noise. */
export function drawDigit(digit: number, random: () => number): Float32Array {
  const img = new Float32Array(SIZE * SIZE);
  const width = 3 + random() * 3.5, height = 7 + random() * 3.5;
  const left = 2 + random() * (SIZE - 4 - width), top = 1.5 + random() * (SIZE - 3 - height);
  const slant = (random() - 0.5) * 0.5, thickness = 0.55 + random() * 0.5;
  const strokes = [...DIGITS[digit]].map((s) => {
    const [x0, y0, x1, y1] = SEGMENTS[s];
    const place = (x: number, y: number): [number, number] => [left + x * width + slant * (height * (1 - y)), top + y * height];
    return [...place(x0, y0), ...place(x1, y1)] as [number, number, number, number];
  });
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let d = Infinity;
      for (const s of strokes) d = Math.min(d, distanceToSegment(x + 0.5, y + 0.5, ...s));
      const ink = Math.max(0, Math.min(1, thickness + 0.5 - d));
      img[y * SIZE + x] = ink + (random() - 0.5) * 0.3;
    }
  }
  return img;
}

/** `count` digits (balanced classes) as images [count, 1, 16, 16] and labels [count]. */
export function makeDigits(count: number, seed: number): { images: Tensor; labels: Tensor } {
  const random = mulberry32(seed);
  const pixels = new Float32Array(count * SIZE * SIZE);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const digit = i % 10;
    pixels.set(drawDigit(digit, random), i * SIZE * SIZE);
    labels.push(digit);
  }
  return { images: tensor(pixels).reshape(count, 1, SIZE, SIZE), labels: tensor(labels) };
}

export class DigitNet extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    // No bias before BatchNorm: its mean subtraction would cancel it (its gradient is 0).
    new nn.Conv2d(8, 16, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
  );
  classifier = new nn.Sequential(new nn.Flatten(), new nn.Dropout(0.1), new nn.Linear(16 * 4 * 4, 10));
  override forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x));
  }
}

export function accuracy(model: nn.Module, images: Tensor, labels: Tensor): number {
  model.eval();
  const predicted = noGrad(() => (model.forward(images) as Tensor).argmax(1));
  model.train();
  return predicted.eq(labels).mean().item();
}

export interface CnnRun { losses: number[]; testAccuracy: number; model: DigitNet }

/** Trains on `trainCount` digits for `epochs`, and measures accuracy on 1,000 unseen ones. */
export function trainDigits(options: { epochs?: number; trainCount?: number; seed?: number; log?: (line: string) => void } = {}): CnnRun {
  const { epochs = 4, trainCount = 3000, seed = 0, log } = options;
  manualSeed(seed);
  const train = makeDigits(trainCount, seed + 1);
  const test = makeDigits(1000, seed + 2);
  const model = new DigitNet();
  const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
  const lossFn = new nn.CrossEntropyLoss();
  const loader = new DataLoader(new TensorDataset(train.images, train.labels), { batchSize: 32, shuffle: true });
  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [images, labels] of loader) {
      optimizer.zeroGrad();
      const loss = lossFn.forward(model.forward(images), labels);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    log?.(`epoch ${epoch + 1}  loss ${losses.at(-1)!.toFixed(3)}  test accuracy ${(100 * accuracy(model, test.images, test.labels)).toFixed(1)}%`);
  }
  return { losses, testAccuracy: accuracy(model, test.images, test.labels), model };
}

if (require.main === module) {
  // `--epochs N` on the command line (gradlens trace examples/cnn-digits.ts --epochs 1).
  const at = process.argv.indexOf("--epochs");
  const epochs = at >= 0 ? Number(process.argv[at + 1]) : undefined;
  if (epochs !== undefined && !(Number.isInteger(epochs) && epochs > 0)) throw new Error(`--epochs must be a positive integer, got ${process.argv[at + 1]}`);
  const run = trainDigits({ epochs, log: console.log });
  console.log(`test accuracy on 1,000 unseen digits: ${(100 * run.testAccuracy).toFixed(1)}%`);
}
