/** The enum words of every resource (see ../enums.ts for the mapping rule). */
import { AssignmentState } from '../../../gen/edgernetes/api/v1/deployments.js';
import { ModelFormat, TensorDataType, TolerationOperator } from '../../../gen/edgernetes/api/v1/models.js';
import { AcceleratorKind, NodeCondition, TaintEffect } from '../../../gen/edgernetes/api/v1/nodes.js';
import { enumWords } from '../enums.js';

export const acceleratorKindWords = enumWords(AcceleratorKind, 'ACCELERATOR_KIND_', 'lowercase');
export const nodeConditionWords = enumWords(NodeCondition, 'NODE_CONDITION_', 'PascalCase');
export const taintEffectWords = enumWords(TaintEffect, 'TAINT_EFFECT_', 'PascalCase');
export const modelFormatWords = enumWords(ModelFormat, 'MODEL_FORMAT_', 'lowercase');
export const tensorDataTypeWords = enumWords(TensorDataType, 'TENSOR_DATA_TYPE_', 'lowercase');
export const tolerationOperatorWords = enumWords(TolerationOperator, 'TOLERATION_OPERATOR_', 'PascalCase');
export const assignmentStateWords = enumWords(AssignmentState, 'ASSIGNMENT_STATE_', 'PascalCase');
