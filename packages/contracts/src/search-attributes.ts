import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes every run carries, so runs are findable in the Temporal Web UI. */
export const SA_PROJECT = defineSearchAttributeKey('StagecoachProject', SearchAttributeType.KEYWORD);
export const SA_WORKFLOW = defineSearchAttributeKey('StagecoachWorkflow', SearchAttributeType.KEYWORD);
export const SA_RUN_NUMBER = defineSearchAttributeKey('StagecoachRunNumber', SearchAttributeType.INT);
export const SA_CREATOR = defineSearchAttributeKey('StagecoachCreator', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('StagecoachStatus', SearchAttributeType.KEYWORD);

/**
 * Every custom search attribute above: what a Temporal namespace must have registered before runs start
 * (the dev server gets them as flags, a production cluster from `register-search-attributes`).
 */
export const SEARCH_ATTRIBUTES = [SA_PROJECT, SA_WORKFLOW, SA_RUN_NUMBER, SA_CREATOR, SA_STATUS] as const;
