/** A labelled drop-down of ``options`` (value, label), named by its label for screen
 * readers and tests alike. */
export function Choice<T extends string | number>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: readonly (readonly [T, string])[];
  onChange: (value: T) => void;
}) {
  return (
    <label>
      {label}
      <select
        aria-label={label}
        value={String(value)}
        onChange={(e) => {
          const chosen = options.find(([v]) => String(v) === e.target.value);
          if (chosen) onChange(chosen[0]);
        }}
      >
        {options.map(([v, text]) => (
          <option key={String(v)} value={String(v)}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Depths 1 to ``deepest`` as choices. */
export function depths(deepest: number): [number, string][] {
  return Array.from({ length: deepest }, (_, i) => [i + 1, String(i + 1)]);
}
