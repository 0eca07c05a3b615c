/** The shapes of the OpenAPI 3.1 document the reference server writes. */

/** A JSON Schema (OpenAPI 3.1 schemas are JSON Schema 2020-12). */
export type Schema = { [keyword: string]: unknown }

/** Named examples of a media type. */
export type Examples = Record<string, { summary: string; value: unknown }>

/** An OpenAPI Response Object, or a reference to one in `components.responses`. */
export interface ResponseObject {
  description?: string
  headers?: Record<string, { $ref: string } | { description: string; schema: Schema }>
  content?: Record<string, { schema: Schema; examples?: Examples }>
  $ref?: string
}

/** An OpenAPI Operation Object, as this module writes them. */
export interface Operation {
  operationId: string
  summary: string
  description: string
  tags: string[]
  security?: Record<string, string[]>[]
  parameters?: {
    name: string
    in: 'path' | 'header'
    required: boolean
    description: string
    schema: Schema
  }[]
  requestBody?: {
    required: boolean
    description: string
    content: Record<string, { schema: Schema; examples?: Examples }>
  }
  responses: Record<string, ResponseObject>
}

/** The document: what `GET /openapi.json` answers. */
export interface OpenApiDocument {
  openapi: '3.1.0'
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } }
  jsonSchemaDialect: string
  tags: { name: string; description: string }[]
  paths: Record<string, Partial<Record<'get' | 'post' | 'delete', Operation>>>
  components: {
    schemas: Record<string, Schema>
    responses: Record<string, ResponseObject>
    headers: Record<string, { description: string; schema: Schema }>
    securitySchemes: Record<string, Schema>
  }
}
