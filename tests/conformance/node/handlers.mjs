// Handlers for the official step, wait and child requirements, written against
// @aws/durable-execution-sdk-js 2.4.0's API. They run on the SDK (driver node-sdk) and, unchanged,
// on durable-core/sdk (driver core-node): the handler source is the same, only the package that
// wraps it differs. Each one implements its requirement's handler/invocations prose; retry
// strategies come from `s` (durable-core's or the package's own, configured alike).
// Attempt-dependent behaviour reads StepContext.attempt, so nothing outlives an invocation, except
// 3-12's crash-once mark (an interrupted at-least-once step runs again as the same attempt).

export class TransientError extends Error {
  constructor(message) {
    super(message);
    this.name = "TransientError";
  }
}

// Retryable in 1-16's strategy, which therefore does not retry TransientError.
export class TimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = "TimeoutError";
  }
}

const uppercaseSerdes = {
  serialize: async (value) =>
    value === undefined ? undefined : JSON.stringify(typeof value === "string" ? value.toUpperCase() : value),
  deserialize: async (data) => (data === undefined ? undefined : JSON.parse(data)),
};

const alwaysFail = async () => {
  throw new Error("step always fails");
};

// Writes the upper-cased text itself, not JSON (3-14).
const uppercaseText = {
  serialize: async (value) => (value === undefined ? undefined : String(value).toUpperCase()),
  deserialize: async (data) => data,
};

// `crash(reason)` ends the current invocation the way a Lambda crash does: the handler never
// returns and no further checkpoint is sent (see run-handlers.mjs).
export function handlers(s, { crash }) {
  const withDefault = (extra = {}) => {
    const strategy = s.default();
    return strategy === undefined ? { ...extra } : { ...extra, retryStrategy: strategy };
  };
  const echo = (value) => (child) => child.step(async () => value, withDefault());
  // Inputs whose execution already crashed once (3-12); build the handlers once per execution.
  const crashedOnce = new Set();
  return {
    "1-1": async (event, ctx) => ctx.step(async () => `Hello, ${event}!`, withDefault()),
    "1-2": async (event, ctx) => ctx.step("custom_step_name", async () => `Hello, ${event}!`, withDefault()),
    "1-3": async (_event, ctx) => {
      const first = await ctx.step(async () => "first", withDefault());
      return ctx.step(async () => `${first}_second`, withDefault());
    },
    "1-4": async (event, ctx) =>
      ctx.step(
        async () => ({ user: { name: event.name, tags: [...event.tags] }, count: event.tags.length }),
        withDefault(),
      ),
    "1-5": async (_event, ctx) => ctx.step(async () => null, withDefault()),
    "1-6": async (event, ctx) => ctx.step(async () => event, withDefault({ serdes: uppercaseSerdes })),
    "1-7": async (event, ctx) =>
      ctx.step(async (step) => {
        step.logger.info(`Greeting step started for: ${event}`);
        const greeting = `Hello, ${event}!`;
        step.logger.info(`Greeting step completed with: ${greeting}`);
        return greeting;
      }, withDefault()),
    "1-8": async (_event, ctx) => {
      const value = await ctx.step(async () => "computed", withDefault());
      await ctx.wait({ seconds: 2 });
      return value;
    },
    "1-9": async (_event, ctx) => {
      const value = await ctx.step(async (step) => {
        step.logger.info("step executed");
        return "cached_value";
      }, withDefault());
      await ctx.wait({ seconds: 1 });
      return value;
    },
    "1-10": async (_event, ctx) => {
      try {
        await ctx.step(async (step) => {
          step.logger.info("step executed");
          throw new Error("permanent failure");
        }, { retryStrategy: s.none() });
      } catch {
        // the requirement catches the step's error
      }
      await ctx.wait({ seconds: 1 });
      return "handled";
    },
    "1-11": async (_event, ctx) =>
      ctx.step(async (step) => {
        if (step.attempt < 2) throw new Error("first attempt fails");
        return "Operation succeeded";
      }, { retryStrategy: s.exponential({ maxAttempts: 3, initialDelaySeconds: 1, jitter: "NONE" }) }),
    "1-12": async (_event, ctx) =>
      ctx.step(alwaysFail, {
        retryStrategy: s.exponential({ maxAttempts: 4, initialDelaySeconds: 1, backoffRate: 1, jitter: "NONE" }),
      }),
    "1-13": async (_event, ctx) =>
      ctx.step(async (step) => {
        if (step.attempt < 3) throw new Error(`attempt ${step.attempt} fails`);
        return "succeeded on third attempt";
      }, withDefault()),
    "1-14": async (_event, ctx) =>
      ctx.step(async (step) => {
        if (step.attempt < 3) throw new Error(`attempt ${step.attempt} fails`);
        return "succeeded after backoff";
      }, { retryStrategy: s.exponential({ maxAttempts: 5, initialDelaySeconds: 2, backoffRate: 3, jitter: "NONE" }) }),
    "1-15": async (_event, ctx) =>
      ctx.step(async (step) => {
        if (step.attempt < 2) throw new TransientError("transient failure");
        return "recovered";
      }, {
        retryStrategy: s.exponential({
          maxAttempts: 3, initialDelaySeconds: 1, jitter: "NONE", retryableErrorTypes: [TransientError],
        }),
      }),
    "1-16": async (_event, ctx) =>
      ctx.step(async () => {
        throw new TransientError("transient failure, not retried");
      }, {
        retryStrategy: s.exponential({
          maxAttempts: 3, initialDelaySeconds: 1, jitter: "NONE", retryableErrorTypes: [TimeoutError],
        }),
      }),
    "1-17": async (event, ctx) =>
      ctx.step("at_most_once_flaky_step", async (step) => {
        step.logger.info(`${event}`);
        return crash("process.exit during the step");
      }, { semantics: "AT_MOST_ONCE_PER_RETRY", retryStrategy: s.none() }),
    "1-18": async (event, ctx) =>
      ctx.step(async (step) => {
        step.logger.info(`${event}`);
        if (step.attempt < 2) return crash("process.exit during the first attempt");
        return "succeeded on second attempt";
      }, {
        semantics: "AT_MOST_ONCE_PER_RETRY",
        retryStrategy: s.exponential({ maxAttempts: 3, initialDelaySeconds: 1, jitter: "NONE" }),
      }),
    "1-19": async (_event, ctx) => ctx.step(alwaysFail, { retryStrategy: s.none() }),
    "1-20": async (_event, ctx) => {
      let value;
      try {
        value = await ctx.step(alwaysFail, { retryStrategy: s.none() });
      } catch {
        value = "fallback_result";
      }
      return ctx.step(async () => value, withDefault());
    },
    // Wait suite: waits only, so no retry strategy is involved.
    "2-1": async (_event, ctx) => {
      await ctx.wait({ seconds: 2 });
      return null;
    },
    "2-2": async (_event, ctx) => {
      await ctx.wait("custom_wait_name", { seconds: 2 });
      return null;
    },
    "2-3": async (_event, ctx) => {
      await ctx.wait("wait-1", { seconds: 2 });
      await ctx.wait("wait-2", { seconds: 2 });
      return { completedWaits: 2 };
    },
    "2-4": async (_event, ctx) => {
      await ctx.wait({ minutes: 1 });
      return null;
    },
    "2-5": async (_event, ctx) => {
      await ctx.wait({ hours: 1 });
      return null;
    },
    // Child suite.
    "3-1": async (event, ctx) => ctx.runInChildContext(echo(event)),
    "3-2": async (event, ctx) => ctx.runInChildContext(event.name, echo(event.value)),
    "3-3": async (event, ctx) =>
      ctx.runInChildContext("sequential", async (child) => {
        const first = await child.step(async () => event, withDefault());
        return child.step(async () => first, withDefault());
      }),
    "3-4": async (_event, ctx) =>
      ctx.runInChildContext("failing_child", (child) => child.step(alwaysFail, { retryStrategy: s.none() })),
    "3-5": async (event, ctx) => {
      try {
        await ctx.runInChildContext((child) => child.step(alwaysFail, { retryStrategy: s.none() }));
      } catch {
        // the parent catches the child's error and goes on
      }
      return ctx.step(async () => event, withDefault());
    },
    "3-6": async (event, ctx) =>
      ctx.runInChildContext("outer", async (child) => {
        await child.step(async () => event, withDefault());
        return child.runInChildContext("inner", echo(event));
      }),
    "3-7": async (event, ctx) =>
      ctx.runInChildContext("retrying_child", (child) =>
        child.step(async (step) => {
          if (step.attempt < 2) throw new Error("first attempt fails");
          return event;
        }, { retryStrategy: s.exponential({ maxAttempts: 3, initialDelaySeconds: 1, jitter: "NONE" }) })),
    "3-8": async (_event, ctx) =>
      ctx.runInChildContext("exhausted_child", (child) =>
        child.step(alwaysFail, { retryStrategy: s.exponential({ maxAttempts: 2, initialDelaySeconds: 1, jitter: "NONE" }) })),
    "3-9": async (event, ctx) => {
      const value = await ctx.runInChildContext("cached_child", echo(event));
      await ctx.wait({ seconds: 1 });
      return value;
    },
    "3-10": async (event, ctx) =>
      ctx.runInChildContext("step_and_wait", async (child) => {
        const value = await child.step(async () => event, withDefault());
        await child.wait({ seconds: 1 });
        return value;
      }),
    "3-11": async (event, ctx) => {
      ctx.configureLogger({ modeAware: false }); // replay logging: each run of the child shows
      const value = await ctx.runInChildContext("large_child", async (child) => {
        child.logger.info(`child context input: ${event}`);
        const small = await child.step(async () => event, withDefault());
        return small.repeat(Math.ceil((300 * 1024) / Math.max(small.length, 1))); // over 256 KiB
      });
      await ctx.wait({ seconds: 1 });
      return value.length;
    },
    "3-12": async (event, ctx) =>
      ctx.runInChildContext((child) =>
        child.step(async () => {
          if (!crashedOnce.has(event)) {
            crashedOnce.add(event);
            await new Promise((resolve) => setTimeout(resolve, 200)); // the START goes out meanwhile
            return crash("process.exit inside the child's step");
          }
          return event;
        }, withDefault())),
    "3-13": async (event, ctx) => {
      const value = await ctx.runInChildContext("waiting_child", async (child) => {
        await child.wait({ seconds: 1 });
        return event;
      });
      return ctx.step(async () => value, withDefault());
    },
    "3-14": async (event, ctx) => ctx.runInChildContext("serdes_child", echo(event), { serdes: uppercaseText }),
    "3-15": async (_event, ctx) =>
      ctx.runInChildContext("throwing_child", async () => {
        throw new Error("thrown directly in the child");
      }),
    "3-16": async (_event, ctx) => ctx.runInChildContext("null_child", async () => null),
    "3-17": async (event, ctx) => {
      ctx.configureLogger({ modeAware: false }); // replay logging: a second run of the child would show
      const value = await ctx.runInChildContext("logging_child", async (child) => {
        child.logger.info(`child context input: ${event}`);
        return event;
      });
      await ctx.wait({ seconds: 1 });
      return value;
    },
    "3-18": async (event, ctx) => {
      const inner = await ctx.runInChildContext("first_child", async (child) => {
        const value = await child.step(async () => event, withDefault());
        await child.wait({ seconds: 1 });
        return value;
      });
      const value = await ctx.step(async () => inner, withDefault());
      await ctx.wait({ seconds: 1 });
      return value;
    },
  };
}

export const CRASH_CASES = new Set(["1-17", "1-18", "3-12"]);

/**
 * The handlers' retry strategies (`s` above) from a module shaped like the JS SDK (the SDK itself,
 * or durable-core/sdk), configured as the node-sdk driver configures the SDK's. `name` tells the
 * drivers which provider ran.
 */
export function sdkShapedStrategies(name, sdk) {
  return {
    name,
    default: () => undefined, // no retryStrategy: the module's default
    none: () => sdk.retryPresets.noRetry,
    exponential: ({ maxAttempts, initialDelaySeconds, backoffRate, jitter, retryableErrorTypes }) =>
      sdk.createRetryStrategy({
        maxAttempts,
        initialDelay: { seconds: initialDelaySeconds },
        jitter: sdk.JitterStrategy[jitter],
        // keys left out when not configured: the SDK treats an explicit undefined differently
        ...(backoffRate !== undefined ? { backoffRate } : {}),
        ...(retryableErrorTypes !== undefined ? { retryableErrorTypes } : {}),
      }),
  };
}

/** A small seeded generator (mulberry32): a case's jitter draws, the same on every driver for a seed. */
export function seededDraws(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
