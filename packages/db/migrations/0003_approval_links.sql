CREATE TABLE "approval_links" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"job" text NOT NULL,
	"retry_num" integer NOT NULL,
	"approver" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "approval_links" ADD CONSTRAINT "approval_links_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approval_links_run_idx" ON "approval_links" USING btree ("run_id");