CREATE TABLE "project_members" (
	"project" text NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"granted_by" text NOT NULL,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "project_members_project_user_id_pk" PRIMARY KEY("project","user_id")
);
--> statement-breakpoint
CREATE TABLE "workflow_grants" (
	"project" text NOT NULL,
	"workflow" text NOT NULL,
	"user_id" uuid NOT NULL,
	"verbs" text[] NOT NULL,
	"granted_by" text NOT NULL,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_grants_project_workflow_user_id_pk" PRIMARY KEY("project","workflow","user_id")
);
--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_project_projects_name_fk" FOREIGN KEY ("project") REFERENCES "public"."projects"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_members" ADD CONSTRAINT "project_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_grants" ADD CONSTRAINT "workflow_grants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_grants" ADD CONSTRAINT "workflow_grants_project_workflow_workflows_project_name_fk" FOREIGN KEY ("project","workflow") REFERENCES "public"."workflows"("project","name") ON DELETE cascade ON UPDATE no action;