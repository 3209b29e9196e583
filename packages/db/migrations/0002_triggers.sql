CREATE TABLE "trigger_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"delivery_key" text NOT NULL,
	"trigger_id" uuid NOT NULL,
	"project" text NOT NULL,
	"workflow" text NOT NULL,
	"event" text NOT NULL,
	"decision" text NOT NULL,
	"reason" text,
	"run_number" integer,
	"pending_start" jsonb,
	"context" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	CONSTRAINT "trigger_deliveries_key_unique" UNIQUE("source","delivery_key","trigger_id")
);
--> statement-breakpoint
CREATE TABLE "triggers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workflow_id" integer NOT NULL,
	"project" text NOT NULL,
	"workflow" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"config" jsonb NOT NULL,
	"sealed_secrets" text,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"sealed_params" text,
	"repo_key" text,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "triggers_workflow_kind_name_unique" UNIQUE("workflow_id","kind","name")
);
--> statement-breakpoint
ALTER TABLE "trigger_deliveries" ADD CONSTRAINT "trigger_deliveries_trigger_id_triggers_id_fk" FOREIGN KEY ("trigger_id") REFERENCES "public"."triggers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "trigger_deliveries_workflow_idx" ON "trigger_deliveries" USING btree ("project","workflow","received_at");--> statement-breakpoint
CREATE INDEX "trigger_deliveries_run_idx" ON "trigger_deliveries" USING btree ("project","workflow","run_number");--> statement-breakpoint
CREATE INDEX "triggers_repo_key_idx" ON "triggers" USING btree ("repo_key");