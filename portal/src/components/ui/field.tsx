import {
  cloneElement,
  isValidElement,
  useId,
  type InputHTMLAttributes,
  type ReactElement,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";
import { cn } from "@/lib/cn";

const control =
  "block w-full rounded-lg border bg-white px-3 py-2 text-sm text-slate-900 shadow-xs placeholder:text-slate-400 focus:outline-2 focus:outline-offset-0 focus:outline-indigo-500 disabled:bg-slate-100 dark:bg-slate-900 dark:text-slate-100 dark:disabled:bg-slate-800";

function border(invalid: boolean | undefined) {
  return invalid
    ? "border-red-500 dark:border-red-500"
    : "border-slate-300 dark:border-slate-700";
}

interface ControlState {
  invalid?: boolean;
}

export function Input({ className, invalid, ...rest }: InputHTMLAttributes<HTMLInputElement> & ControlState) {
  return <input className={cn(control, "h-10", border(invalid), className)} aria-invalid={invalid || undefined} {...rest} />;
}

export function Textarea({
  className,
  invalid,
  ...rest
}: TextareaHTMLAttributes<HTMLTextAreaElement> & ControlState) {
  return <textarea className={cn(control, border(invalid), className)} aria-invalid={invalid || undefined} {...rest} />;
}

export function Select({
  className,
  invalid,
  children,
  ...rest
}: SelectHTMLAttributes<HTMLSelectElement> & ControlState) {
  return (
    <select className={cn(control, "h-10", border(invalid), className)} aria-invalid={invalid || undefined} {...rest}>
      {children}
    </select>
  );
}

interface FieldProps {
  label: ReactNode;
  /** The control: an Input, Textarea or Select. It gets id, aria-describedby and invalid. */
  children: ReactElement<{ id?: string; "aria-describedby"?: string; invalid?: boolean }>;
  hint?: ReactNode;
  error?: string | null | undefined;
  className?: string;
  optional?: boolean;
}

/** A labelled control with its hint and error wired for screen readers. */
export function Field({ label, children, hint, error, className, optional }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  const control = isValidElement(children)
    ? cloneElement(children, { id, "aria-describedby": describedBy, invalid: Boolean(error) })
    : children;
  return (
    <div className={cn("space-y-1.5", className)}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700 dark:text-slate-300">
        {label}
        {optional && <span className="ml-1 font-normal text-slate-400">(optional)</span>}
      </label>
      {control}
      {hint && !error && (
        <p id={hintId} className="text-xs text-slate-500 dark:text-slate-400">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
