import type { Origin, PairCheck, ScenarioAssembler, StateCheck, Written } from './assembler.ts';

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
      readonly kind: 'unshare';
      readonly origin: Origin;
      readonly task: Written;
      readonly types: readonly Written[];
      readonly outcome: Written | undefined;
    }
  | {
      readonly kind: 'read';
      readonly origin: Origin;
      readonly task: Written;
      readonly nsType: Written;
      readonly as: Written | undefined;
    }
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
      case 'unshare':
        assembler.unshare(s.origin, s.task, s.types, s.outcome);
        break;
      case 'read':
        assembler.read(s.origin, s.task, s.nsType, s.as);
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
