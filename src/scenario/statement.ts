import type { Origin, PairCheck, ScenarioAssembler, StateCheck, Written } from './assembler.ts';
import type { WrittenOp } from './operation.ts';

/**
 * One line of a scenario as written, before `repeat` blocks and `$NAME`s are expanded; a
 * `repeat` holds its body.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export type Statement =
  | { readonly kind: 'scenario'; readonly origin: Origin; readonly keyword: Written; readonly name: Written }
  | { readonly kind: 'param'; readonly origin: Origin; readonly name: Written; readonly value: Written }
  | { readonly kind: 'task'; readonly origin: Origin; readonly names: readonly Written[] }
  | {
      readonly kind: 'task-step';
      readonly origin: Origin;
      readonly task: Written;
      readonly op: WrittenOp;
      readonly outcome: Written | undefined;
    }
  | { readonly kind: 'next-inode'; readonly origin: Origin; readonly as: Written | undefined }
  | { readonly kind: 'sleep'; readonly origin: Origin; readonly duration: Written }
  | {
      readonly kind: 'expect';
      readonly origin: Origin;
      readonly check: StateCheck | PairCheck;
      readonly names: readonly Written[];
    }
  | {
      readonly kind: 'repeat';
      readonly origin: Origin;
      readonly count: Written;
      readonly variable: Written;
      readonly body: readonly Statement[];
    };

/**
 * Executes statements into the assembler in execution order, expanding each `repeat` block.
 *
 * @remarks Since 0.1.0
 * @internal
 */
export function runStatements(statements: readonly Statement[], assembler: ScenarioAssembler): void {
  for (const s of statements) {
    switch (s.kind) {
      case 'scenario':
        assembler.nameScenario(s.keyword, s.name);
        break;
      case 'param':
        assembler.declareParam(s.name, s.value);
        break;
      case 'task':
        for (const name of s.names) assembler.declareTask(name);
        break;
      case 'task-step':
        assembler.taskStep(s.origin, s.task, s.op, s.outcome);
        break;
      case 'next-inode':
        assembler.nextInode(s.origin, s.as);
        break;
      case 'sleep':
        assembler.sleep(s.origin, s.duration);
        break;
      case 'expect':
        assembler.expect(s.origin, s.check, s.names);
        break;
      case 'repeat': {
        const count = assembler.openRepeat(s.count, s.variable);
        for (let i = 1; i <= count; i++) {
          assembler.setIteration(i);
          runStatements(s.body, assembler);
        }
        assembler.closeRepeat();
        break;
      }
    }
  }
}
