// The real SDK's classifier, for the benchmark. @aws/durable-execution-sdk-js 2.4.0 does not
// export it: CheckpointManager.classifyCheckpointError is reached through the `checkpoint`
// property of the DurableContext one real invocation hands its handler (a fake client makes the
// invocation local). It returns the SDK's Checkpoint*Error, so its cost includes building an Error.

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:bench:$LATEST/durable-execution/run/0001';

/** Resolves to `(error) => 'INVOCATION' | 'EXECUTION'`, or rejects if the SDK cannot be loaded here. */
export async function sdkClassifier() {
  const { withDurableExecution } = await import('@aws/durable-execution-sdk-js');
  let manager;
  const durableExecutionClient = {
    getExecutionState: async () => ({ Operations: [] }),
    checkpoint: async () => ({ CheckpointToken: 'bench-token-2', NewExecutionState: {} }),
  };
  const handler = withDurableExecution(async (_event, context) => {
    manager = context.checkpoint;
    return 'done';
  }, { durableExecutionClient });
  await handler(
    {
      DurableExecutionArn: ARN,
      CheckpointToken: 'bench-token-1',
      InitialExecutionState: {
        Operations: [{ Id: 'bench', Type: 'EXECUTION', Status: 'STARTED', ExecutionDetails: { InputPayload: '{}' } }],
      },
    },
    { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 300_000 },
  );
  if (typeof manager?.classifyCheckpointError !== 'function') throw new Error('context.checkpoint.classifyCheckpointError not found');
  return (error) => (manager.classifyCheckpointError(error).isUnrecoverableExecution ? 'EXECUTION' : 'INVOCATION');
}
