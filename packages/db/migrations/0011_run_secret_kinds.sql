ALTER TABLE "run_secrets" ADD COLUMN "kind" text DEFAULT 'param' NOT NULL;--> statement-breakpoint
ALTER TABLE "run_secrets" DROP CONSTRAINT "run_secrets_run_id_name_pk";--> statement-breakpoint
ALTER TABLE "run_secrets" ADD CONSTRAINT "run_secrets_run_id_kind_name_pk" PRIMARY KEY("run_id","kind","name");
