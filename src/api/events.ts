/**
 * What a service needs to announce a state change on the events bus (engine/events.ts
 * implements it): services below the engine depend on this, not on the bus itself.
 */
export interface EventPublisher {
  publish(type: string, action: string, id: string, attributes?: Record<string, string>): unknown;
}
