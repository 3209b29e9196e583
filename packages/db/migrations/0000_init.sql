CREATE TABLE "projects" (
	"name" text PRIMARY KEY NOT NULL,
	"display_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_versions" (
	"workflow_id" integer NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_versions_workflow_id_version_pk" PRIMARY KEY("workflow_id","version")
);
--> statement-breakpoint
CREATE TABLE "workflows" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "workflows_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"project" text NOT NULL,
	"name" text NOT NULL,
	"display_name" text NOT NULL,
	"definition" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"concurrency_limit" integer DEFAULT -1 NOT NULL,
	"next_run_number" integer DEFAULT 1 NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflows_project_name_unique" UNIQUE("project","name")
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"run_id" text NOT NULL,
	"stage" text NOT NULL,
	"job" text NOT NULL,
	"job_type" text DEFAULT '' NOT NULL,
	"status" text NOT NULL,
	"start_time" timestamp with time zone,
	"end_time" timestamp with time zone,
	"error" text,
	"outputs" jsonb,
	"retry_count" integer DEFAULT 0 NOT NULL,
	"approval" jsonb,
	"last_event_retry" integer DEFAULT -1 NOT NULL,
	"last_event_seq" integer DEFAULT -1 NOT NULL,
	CONSTRAINT "job_runs_run_id_job_pk" PRIMARY KEY("run_id","job")
);
--> statement-breakpoint
CREATE TABLE "run_secrets" (
	"run_id" text NOT NULL,
	"name" text NOT NULL,
	"sealed_value" text NOT NULL,
	CONSTRAINT "run_secrets_run_id_name_pk" PRIMARY KEY("run_id","name")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"project" text NOT NULL,
	"workflow" text NOT NULL,
	"run_number" integer NOT NULL,
	"status" text NOT NULL,
	"creator" text NOT NULL,
	"remark" text,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"retry_num" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"start_time" timestamp with time zone,
	"end_time" timestamp with time zone,
	"error" text,
	"stages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_event_retry" integer DEFAULT -1 NOT NULL,
	"last_event_seq" integer DEFAULT -1 NOT NULL,
	"stage_marks" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "runs_project_workflow_run_number_unique" UNIQUE("project","workflow","run_number")
);
--> statement-breakpoint
ALTER TABLE "workflow_versions" ADD CONSTRAINT "workflow_versions_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflows" ADD CONSTRAINT "workflows_project_projects_name_fk" FOREIGN KEY ("project") REFERENCES "public"."projects"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_runs" ADD CONSTRAINT "job_runs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_secrets" ADD CONSTRAINT "run_secrets_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "runs_project_status_idx" ON "runs" USING btree ("project","status");