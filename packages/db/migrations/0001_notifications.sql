CREATE TABLE "notifications" (
	"event_id" text NOT NULL,
	"ctl" text NOT NULL,
	"run_id" text NOT NULL,
	"webhook_type" text NOT NULL,
	"notify_type" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "notifications_event_id_ctl_pk" PRIMARY KEY("event_id","ctl")
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "notify_ctls" jsonb;--> statement-breakpoint
CREATE INDEX "notifications_run_id_idx" ON "notifications" USING btree ("run_id");