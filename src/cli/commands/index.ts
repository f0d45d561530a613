import type { Command } from 'commander';
import type { CommandEnv, SetExit } from '../options.js';
import { registerAlertCommands } from './alert.command.js';
import { registerAnalysisCommands } from './analysis.command.js';
import { registerAuthCommands } from './auth.command.js';
import { registerChangeCommands } from './change.command.js';
import { registerComplianceCommands } from './compliance.command.js';
import { registerDeviceCommands } from './device.command.js';
import { registerExportCommands } from './export.command.js';
import { registerHistoryCommands } from './history.command.js';
import { registerInitCommand } from './init.command.js';
import { registerKeyCommands } from './keys.command.js';
import { registerMonitorCommands } from './monitor.command.js';
import { registerServeCommand } from './serve.command.js';
import { registerTemplateCommands } from './template.command.js';
import { registerValidateCommand } from './validate.command.js';
import { registerWritebackCommands } from './writeback.command.js';

/** Adds every command to the program. `setExit` records a non-zero outcome that is not an error, with its stderr line. */
export function registerCommands(program: Command, env: CommandEnv, setExit: SetExit): void {
  registerInitCommand(program, env);
  registerDeviceCommands(program, env, setExit);
  registerHistoryCommands(program, env);
  registerMonitorCommands(program, env);
  registerKeyCommands(program, env);
  registerAnalysisCommands(program, env, setExit);
  registerServeCommand(program, env);
  registerAuthCommands(program, env);
  registerValidateCommand(program, env, setExit);
  registerWritebackCommands(program, env);
  registerComplianceCommands(program, env);
  registerAlertCommands(program, env, setExit);
  registerChangeCommands(program, env, setExit);
  registerTemplateCommands(program, env, setExit);
  registerExportCommands(program, env);
}
